# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import (
    wall_minutes,
    wall_string,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("01:00", 1),  # MM:SS
        ("01:30", 2),  # MM:SS, seconds round up
        ("01:00:00", 60),
        ("1-00:00:00", 1440),
        ("2-12", 3600),
        ("1-01:30", 1530),
        ("00:00:30", 1),
        ("", None),
        ("UNLIMITED", None),
        ("-1", None),
    ],
)
def test_wall_minutes(text, minutes):
    assert wall_minutes(text) == minutes


@pytest.mark.parametrize("bad", ["1h", "1-", "a-01:00", "1:2:3:4", "ten"])
def test_wall_minutes_refuses_garbage(bad):
    with pytest.raises(ValueError, match="not a Slurm time"):
        wall_minutes(bad)


@pytest.mark.parametrize("minutes", [None, 1, 59, 60, 61, 1439, 1440, 1530, 10080])
def test_wall_string_round_trips(minutes):
    assert wall_minutes(wall_string(minutes)) == minutes
