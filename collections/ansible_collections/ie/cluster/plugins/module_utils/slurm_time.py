# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slurm's time format (sbatch --time, MaxWall, DefaultTime) in minutes.

Shared by the sacctmgr module utilities and the repository's slurm filters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_REST = re.compile(r"^\d+(:\d+){0,2}$")


def wall_minutes(value):
    """Slurm time in minutes, seconds rounded up as Slurm does; None = unlimited.

    Formats (sbatch --time): MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
    """
    if value is None:
        return None
    text = str(value).strip()
    if text in ("", "-1", "UNLIMITED", "INFINITE", "Partition_Limit"):
        return None
    days, dash, rest = text.partition("-")
    if not dash:
        days, rest = "", text
    if (dash and not days.isdigit()) or not _REST.match(rest):
        raise ValueError("not a Slurm time: %r" % (value,))
    parts = [int(p) for p in rest.split(":")]
    if dash:
        hours, minutes, seconds = ([*parts, 0, 0])[:3]
    elif len(parts) == 1:
        hours, minutes, seconds = 0, parts[0], 0
    elif len(parts) == 2:
        hours, minutes, seconds = 0, parts[0], parts[1]
    else:
        hours, minutes, seconds = parts
    return int(days or 0) * 1440 + hours * 60 + minutes + (1 if seconds else 0)


def wall_string(minutes):
    """Minutes as sacctmgr accepts them ("-1" for unlimited)."""
    if minutes is None:
        return "-1"
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return "%d-%02d:%02d:00" % (days, hours, mins)
    return "%02d:%02d:00" % (hours, mins)
