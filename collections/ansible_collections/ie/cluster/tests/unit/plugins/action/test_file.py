# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.file's shell probe and its decision, on real paths here (the
playbook runs are in test_file_playbook.py)."""

from __future__ import absolute_import, annotations, division, print_function

import grp
import os
import pwd
import socket

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import file
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import (
    run_action,
    shell,
)

__metaclass__ = type


def probe(path):
    return file.parse_probe(shell(file.probe_command(str(path))))


def owned(path):
    st = os.lstat(path)
    return {
        "mode": "%04o" % (st.st_mode & 0o7777),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "pw_name": pwd.getpwuid(st.st_uid).pw_name,
        "gr_name": grp.getgrgid(st.st_gid).gr_name,
    }


def test_a_directory_and_a_file_are_read_as_os_stat_sees_them(tmp_path):
    folder = tmp_path / "it's a folder; $(touch x)"  # quoted for the shell
    folder.mkdir(mode=0o2750)
    os.chmod(folder, 0o2750)  # noqa: S103 - a setgid mode to read back
    assert probe(folder) == {"state": "directory", **owned(folder)}
    assert probe(folder)["mode"] == "2750"
    for content in (b"", b"x\n"):
        (folder / "f").write_bytes(content)
        os.chmod(folder / "f", 0o640)
        assert probe(folder / "f") == {"state": "file", **owned(folder / "f")}
    assert not (tmp_path / "x").exists()


def test_a_missing_path_is_absent_and_a_link_or_socket_is_other(tmp_path):
    assert probe(tmp_path / "missing") == {"state": "absent"}
    (tmp_path / "to-dir").symlink_to(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    try:
        for other in ("to-dir", "dangling", "sock"):
            assert probe(tmp_path / other) is None, other
    finally:
        server.close()


@pytest.mark.parametrize(
    "stdout",
    ["", "other\n", "directory 755 0 0 root\n", "fifo 644 0 0 root root\n", "absent\nabsent\n"],
)
def test_an_answer_not_understood_is_none(stdout):
    assert file.parse_probe(stdout) is None


DIRECTORY = {"state": "directory", "mode": "0750", "uid": 0, "gid": 990}
DIRECTORY.update(pw_name="root", gr_name="prometheus")
ASKED = {"path": "/d", "state": "directory", "owner": "root", "group": "prometheus", "mode": "0750"}


@pytest.mark.parametrize(
    "asked",
    [
        {},
        {"mode": "750", "owner": "0", "group": "990"},
    ],
)
def test_nothing_is_run_when_the_path_is_as_asked(asked):
    assert file.already_so({**ASKED, **asked}, DIRECTORY)
    assert file.already_so({"path": "/x", "state": "absent"}, {"state": "absent"})


@pytest.mark.parametrize(
    "asked",
    [
        {"mode": "0755"},
        {"mode": "u=rwx,g=rx"},  # symbolic: the module's to work out
        {"mode": 0o750},  # a number, which YAML may have turned from decimal
        {"owner": "prometheus"},
        {"group": "0"},
        {"state": "file"},
        {"state": "absent"},
    ],
)
def test_the_module_runs_for_anything_else(asked):
    assert not file.already_so({**ASKED, **asked}, DIRECTORY)
    assert not file.already_so(ASKED, None)
    assert not file.already_so(ASKED, {"state": "absent"})


def test_the_unchanged_result_is_the_modules():
    assert file.unchanged_result(ASKED, DIRECTORY) == {
        "changed": False,
        "path": "/d",
        "state": "directory",
        "mode": "0750",
        "owner": "root",
        "group": "prometheus",
        "uid": 0,
        "gid": 990,
        "checked_by_shell": True,
    }
    gone = file.unchanged_result({"path": "/x", "state": "absent"}, {"state": "absent"})
    assert gone == {"changed": False, "path": "/x", "state": "absent", "checked_by_shell": True}


def test_owner_group_and_mode_are_required_but_for_a_path_to_remove():
    file.check_file_arguments(ASKED)
    file.check_file_arguments({"path": "/x", "state": "absent"})
    for missing in ("owner", "group", "mode", "path"):
        with pytest.raises(AnsibleActionFail, match="needs " + missing):
            file.check_file_arguments({k: v for k, v in ASKED.items() if k != missing})
    with pytest.raises(AnsibleActionFail, match="does not take mode"):
        file.check_file_arguments({"path": "/x", "state": "absent", "mode": "0644"})
    with pytest.raises(AnsibleActionFail, match="does not take recurse"):
        file.check_file_arguments({**ASKED, "recurse": True})
    for state in ("link", "touch", None):
        with pytest.raises(AnsibleActionFail, match="state is one of directory, file, absent"):
            file.check_file_arguments({**ASKED, "state": state})


def answer(stdout, rc=0):
    return {"rc": rc, "stdout": stdout, "stderr": ""}


def test_a_directory_as_asked_runs_no_module_and_says_so():
    result, sent, module = run_action(
        file.ActionModule, ASKED, answer("directory 750 0 990 root prometheus\n")
    )
    assert module is None and sent == [file.probe_command("/d")]
    assert result["changed"] is False and result["checked_by_shell"] is True
    gone = run_action(file.ActionModule, {"path": "/x", "state": "absent"}, answer("absent\n"))
    assert gone[2] is None and gone[0]["state"] == "absent"


@pytest.mark.parametrize(
    "reply",
    [
        answer("directory 755 0 990 root prometheus\n"),  # another mode
        answer("absent\n"),  # to make
        answer("other\n"),  # a link there: the module's to judge
        answer("", rc=1),  # the shell failed
    ],
)
def test_anything_else_runs_the_builtin_file_module_with_the_same_arguments(reply):
    result, _sent, module = run_action(file.ActionModule, ASKED, reply)
    assert module == ("ansible.legacy.file", ASKED)
    assert result["changed"] is True and "checked_by_shell" not in result
