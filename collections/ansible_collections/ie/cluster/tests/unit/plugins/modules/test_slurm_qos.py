# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""slurm_qos against a fake sacctmgr that keeps its QOS in a dict."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.ie.cluster.plugins.modules import slurm_qos
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import (
    FakeSacctmgr,
    mutating,
    run_module,
)


def run(monkeypatch, fake, capsys, **kwargs):
    return run_module(slurm_qos.main, monkeypatch, fake, capsys, **kwargs)


def test_creates_a_missing_qos(monkeypatch, capsys):
    fake = FakeSacctmgr()
    result = run(
        monkeypatch,
        fake,
        capsys,
        name="short",
        priority=300,
        max_wall="01:00:00",
        description="up to 1 hour",
    )
    assert result["changed"] is True
    assert mutating(fake) == [
        [
            "/usr/bin/sacctmgr",
            "-i",
            "add",
            "qos",
            "short",
            "Priority=300",
            "MaxWall=01:00:00",
            "Description=up to 1 hour",
        ]
    ]
    assert fake.qos["short"]["Priority"] == "300"


def test_an_identical_qos_is_left_alone(monkeypatch, capsys):
    fake = FakeSacctmgr({"day": {"Priority": "200", "MaxWall": "1-00:00:00", "Description": "d"}})
    result = run(
        monkeypatch, fake, capsys, name="day", priority=200, max_wall="24:00:00", description="d"
    )
    assert result["changed"] is False
    assert mutating(fake) == []


def test_a_different_qos_is_modified(monkeypatch, capsys):
    fake = FakeSacctmgr({"day": {"Priority": "100", "MaxWall": "1-00:00:00", "Description": "d"}})
    result = run(
        monkeypatch,
        fake,
        capsys,
        diff=True,
        name="day",
        priority=200,
        max_wall="1-00:00:00",
        description="d",
    )
    assert result["changed"] is True
    assert mutating(fake) == [
        [
            "/usr/bin/sacctmgr",
            "-i",
            "modify",
            "qos",
            "where",
            "name=day",
            "set",
            "Priority=200",
            "MaxWall=1-00:00:00",
            "Description=d",
        ]
    ]
    assert result["diff"]["before"]["priority"] == 100
    assert result["diff"]["after"]["priority"] == 200


def test_check_mode_reports_the_change_and_changes_nothing(monkeypatch, capsys):
    fake = FakeSacctmgr()
    result = run(monkeypatch, fake, capsys, check_mode=True, name="short", priority=300)
    assert result["changed"] is True
    assert mutating(fake) == []
    assert fake.qos == {}
    # What would run is reported, not run.
    assert result["commands"] == [
        [
            "/usr/bin/sacctmgr",
            "-i",
            "add",
            "qos",
            "short",
            "Priority=300",
            "MaxWall=-1",
            "Description=",
        ]
    ]


def test_absent_deletes_and_is_then_idempotent(monkeypatch, capsys):
    fake = FakeSacctmgr({"old": {"Priority": "1", "MaxWall": "", "Description": ""}})
    assert run(monkeypatch, fake, capsys, name="old", state="absent")["changed"] is True
    assert "old" not in fake.qos
    assert run(monkeypatch, fake, capsys, name="old", state="absent")["changed"] is False


def test_unlimited_wall_is_written_as_minus_one(monkeypatch, capsys):
    fake = FakeSacctmgr()
    run(monkeypatch, fake, capsys, name="long", priority=100, max_wall="")
    assert "MaxWall=-1" in mutating(fake)[0]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"name": "x", "max_wall": "1 hour"}, "max_wall"),
        ({"name": "a|b"}, "single word"),
        ({"name": "a b"}, "single word"),
    ],
)
def test_bad_input_fails_before_sacctmgr_is_run(monkeypatch, capsys, params, message):
    fake = FakeSacctmgr()
    result = run(monkeypatch, fake, capsys, **params)
    assert result["failed"] is True
    assert message in result["msg"]
    assert fake.calls == []
