# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""slurm_account against a fake sacctmgr."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.ie.cluster.plugins.modules import slurm_account
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import (
    FakeSacctmgr,
    mutating,
    run_module,
)

OS = {"Description": "os course", "Organization": "ie", "users": ["student1"]}


def run(monkeypatch, fake, capsys, **kwargs):
    return run_module(slurm_account.main, monkeypatch, fake, capsys, **kwargs)


def test_creates_the_account_and_adds_its_users(monkeypatch, capsys):
    fake = FakeSacctmgr()
    result = run(
        monkeypatch,
        fake,
        capsys,
        name="os",
        description="os course",
        organization="ie",
        users=["student2", "student1"],
    )
    assert result["changed"] is True
    assert mutating(fake) == [
        [
            "/usr/bin/sacctmgr",
            "-i",
            "add",
            "account",
            "os",
            "Description=os course",
            "Organization=ie",
        ],
        ["/usr/bin/sacctmgr", "-i", "add", "user", "student1,student2", "account=os"],
    ]
    assert fake.accounts["os"]["users"] == {"student1", "student2"}


def test_an_identical_account_is_left_alone(monkeypatch, capsys):
    fake = FakeSacctmgr(accounts={"os": OS})
    result = run(
        monkeypatch,
        fake,
        capsys,
        name="os",
        description="os course",
        organization="ie",
        users=["student1"],
    )
    assert result["changed"] is False
    assert mutating(fake) == []


def test_only_missing_users_are_added_and_others_kept_unless_exclusive(monkeypatch, capsys):
    fake = FakeSacctmgr(accounts={"os": OS})
    result = run(
        monkeypatch,
        fake,
        capsys,
        name="os",
        description="os course",
        organization="ie",
        users=["student2"],
    )
    assert result["changed"] is True
    assert mutating(fake) == [["/usr/bin/sacctmgr", "-i", "add", "user", "student2", "account=os"]]
    assert fake.accounts["os"]["users"] == {"student1", "student2"}

    result = run(
        monkeypatch,
        fake,
        capsys,
        name="os",
        description="os course",
        organization="ie",
        users=["student2"],
        users_exclusive=True,
    )
    assert mutating(fake)[-1] == [
        "/usr/bin/sacctmgr",
        "-i",
        "delete",
        "user",
        "where",
        "name=student1",
        "account=os",
    ]
    assert fake.accounts["os"]["users"] == {"student2"}


def test_a_changed_description_is_modified(monkeypatch, capsys):
    fake = FakeSacctmgr(accounts={"os": OS})
    result = run(
        monkeypatch,
        fake,
        capsys,
        diff=True,
        name="os",
        description="new",
        organization="ie",
        users=["student1"],
    )
    assert mutating(fake) == [
        [
            "/usr/bin/sacctmgr",
            "-i",
            "modify",
            "account",
            "where",
            "name=os",
            "set",
            "Description=new",
            "Organization=ie",
        ]
    ]
    assert result["diff"]["before"]["description"] == "os course"
    assert result["diff"]["after"]["description"] == "new"


def test_check_mode_changes_nothing(monkeypatch, capsys):
    fake = FakeSacctmgr()
    result = run(monkeypatch, fake, capsys, check_mode=True, name="os", users=["student1"])
    assert result["changed"] is True
    assert mutating(fake) == []
    assert fake.accounts == {}
    assert [c[2:4] for c in result["commands"]] == [["add", "account"], ["add", "user"]]


def test_absent_deletes(monkeypatch, capsys):
    fake = FakeSacctmgr(accounts={"os": OS})
    assert run(monkeypatch, fake, capsys, name="os", state="absent")["changed"] is True
    assert fake.accounts == {}
    assert run(monkeypatch, fake, capsys, name="os", state="absent")["changed"] is False


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"name": "OS"}, "name must be lower-case"),
        ({"name": "os", "users": ["bad user"]}, "users must be lower-case"),
        ({"name": "os", "description": "a|b"}, "description must not contain"),
        ({"name": "os", "organization": "I E"}, "organization must be lower-case"),
    ],
)
def test_bad_input_fails_before_sacctmgr_is_run(monkeypatch, capsys, params, message):
    fake = FakeSacctmgr()
    result = run(monkeypatch, fake, capsys, **params)
    assert result["failed"] is True
    assert message in result["msg"]
    assert fake.calls == []
