# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""slurm_qos against a fake sacctmgr that keeps its QOS in a dict."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ie.cluster.plugins.modules import slurm_qos


class FakeSacctmgr(object):
    """Answers show/add/modify/delete like sacctmgr, from a dict of QOS."""

    def __init__(self, qos=None):
        self.qos = dict(qos or {})
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        args = argv[1:]
        if args[:3] == ["--noheader", "--parsable2", "show"]:
            name = args[4]
            if name in self.qos:
                q = self.qos[name]
                return (
                    0,
                    "%s|%s|%s|%s\n" % (name, q["Priority"], q["MaxWall"], q["Description"]),
                    "",
                )
            return 0, "", ""
        if args[:3] == ["-i", "add", "qos"]:
            self.qos[args[3]] = self._settings(args[4:])
            return 0, " Adding QOS(s)\n", ""
        if args[:3] == ["-i", "modify", "qos"]:
            name = args[4].split("=", 1)[1]
            self.qos[name].update(self._settings(args[6:]))
            return 0, " Modified qos...\n", ""
        if args[:3] == ["-i", "delete", "qos"]:
            del self.qos[args[4].split("=", 1)[1]]
            return 0, " Deleting QOS(s)...\n", ""
        raise AssertionError("unexpected sacctmgr call %r" % (argv,))

    @staticmethod
    def _settings(words):
        out = {}
        for word in words:
            key, value = word.split("=", 1)
            out[key] = "" if value == "-1" else value
        return out


class Exit(Exception):
    pass


def run(monkeypatch, fake, capsys, check_mode=False, diff=False, **params):
    args = dict(params)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    monkeypatch.setattr(
        basic.AnsibleModule, "run_command", lambda mod, argv, **kw: fake(argv, **kw)
    )
    monkeypatch.setattr(
        basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name
    )
    with patch_module_args(args), pytest.raises(SystemExit):
        slurm_qos.main()
    return json.loads(capsys.readouterr().out)


def mutating(fake):
    return [c for c in fake.calls if c[1] == "-i"]


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
