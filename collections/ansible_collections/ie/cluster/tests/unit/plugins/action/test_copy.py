# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.copy's shell stat and its test of the file module's work, on
real files here (the playbook runs are in test_files_playbook.py)."""

from __future__ import absolute_import, annotations, division, print_function

import grp
import hashlib
import os
import pwd

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import copy
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import shell

__metaclass__ = type


def shell_stat(path):
    return copy.parse_stat(shell(copy.stat_command(str(path))))


def test_a_regular_file_is_read_as_os_stat_and_sha1_see_it(tmp_path):
    path = tmp_path / "it's a file; $(touch x)"  # quoted for the shell
    path.write_bytes(b"hello\n")
    os.chmod(path, 0o640)
    st = os.stat(path)
    assert shell_stat(path) == {
        "exists": True,
        "isreg": True,
        "isdir": False,
        "islnk": False,
        "checksum": hashlib.sha1(b"hello\n").hexdigest(),  # noqa: S324 - ansible's checksum
        "mode": "0640",
        "uid": st.st_uid,
        "gid": st.st_gid,
        "pw_name": pwd.getpwuid(st.st_uid).pw_name,
        "gr_name": grp.getgrgid(st.st_gid).gr_name,
        "size": 6,
    }
    assert not (tmp_path / "x").exists()


def test_an_empty_file_and_a_setgid_mode(tmp_path):
    path = tmp_path / "empty"
    path.touch()
    os.chmod(path, 0o2750)  # noqa: S103 - a setgid mode to read back
    status = shell_stat(path)
    assert status["mode"] == "2750" and status["size"] == 0
    assert status["checksum"] == hashlib.sha1(b"").hexdigest()  # noqa: S324


@pytest.mark.parametrize("kind", ["missing", "directory", "link"])
def test_anything_but_a_regular_file_is_left_to_the_stat_module(tmp_path, kind):
    path = tmp_path / "it"
    if kind == "directory":
        path.mkdir()
    elif kind == "link":
        (tmp_path / "target").write_text("x")
        path.symlink_to(tmp_path / "target")
    assert shell_stat(path) is None


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "other\n",
        "regular file 644 0 0 root root 1\n",
        "regular file 644 0 0 root root 1\nnot-a-sum  /x\n",
        "fifo 644 0 0 root root 0\n" + "a" * 40 + "  /x\n",
    ],
)
def test_an_answer_not_understood_is_none(stdout):
    assert copy.parse_stat(stdout) is None


STATUS = {"mode": "0640", "uid": 0, "gid": 990, "pw_name": "root", "gr_name": "prometheus"}
FILE = {"dest": "/etc/x", "_original_basename": "x", "recurse": False, "state": "file"}


@pytest.mark.parametrize(
    "asked",
    [
        {"mode": "0640", "owner": "root", "group": "prometheus"},
        {"mode": "640", "owner": "0", "group": "990"},
        {"owner": "root"},
        {},
    ],
)
def test_the_file_module_is_not_needed_when_all_asked_is_there(asked):
    assert copy.attributes_match({**FILE, **asked}, STATUS)


@pytest.mark.parametrize(
    "asked",
    [
        {"mode": "0644"},
        {"mode": "u=rw,g=r"},  # symbolic: the module's to work out
        {"mode": 0o640},  # a number, which YAML may have turned from decimal
        {"owner": "prometheus"},
        {"group": "root"},
        {"group": "0"},
        {"seuser": "system_u"},
        {"attributes": "+i"},
        {"_diff_peek": True},
        {"state": "touch"},
        {"recurse": True},
    ],
)
def test_the_file_module_runs_for_anything_else(asked):
    assert not copy.attributes_match({**FILE, **asked}, STATUS)


def test_owner_group_and_mode_are_required_and_the_builtins_other_arguments_refused():
    args = {"content": "x", "dest": "/etc/x", "owner": "root", "group": "root", "mode": "0644"}
    copy.check_arguments(args, copy.ALLOWED, "ie.cluster.copy")
    for missing in ("owner", "group", "mode", "dest"):
        with pytest.raises(AnsibleActionFail, match="needs " + missing):
            copy.check_arguments(
                {k: v for k, v in args.items() if k != missing}, copy.ALLOWED, "ie.cluster.copy"
            )
    with pytest.raises(AnsibleActionFail, match="does not take backup, remote_src"):
        copy.check_arguments(
            {**args, "remote_src": True, "backup": True}, copy.ALLOWED, "ie.cluster.copy"
        )
