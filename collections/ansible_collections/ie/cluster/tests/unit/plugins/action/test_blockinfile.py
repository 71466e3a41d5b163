# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.blockinfile's decision, on real files here, each case also
given to ansible.builtin.blockinfile itself in check mode: the action may
call a file unchanged only where the module says so."""

from __future__ import absolute_import, annotations, division, print_function

import grp
import os
import pwd

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import blockinfile, lineinfile
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import (
    builtin_changes,
    run_action,
    shell,
)

__metaclass__ = type

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
OWNED = {"owner": ME, "group": MY_GROUP, "mode": "0644"}


def status_of(path):
    return lineinfile.parse_probe(shell(blockinfile.probe_command(str(path))))


def module_changes(path, args):
    """ansible.builtin.blockinfile's own answer, in check mode: would it change ``path``?"""
    return builtin_changes("blockinfile", path, args)


HOSTS = {
    "marker": "# {mark} ie-cluster hosts",
    "block": "10.0.0.1\tgs01.ie gs01\n10.0.0.2\tgs02.ie gs02",
}
BEGIN, END = b"# BEGIN ie-cluster hosts\n", b"# END ie-cluster hosts\n"
LINES = b"10.0.0.1\tgs01.ie gs01\n10.0.0.2\tgs02.ie gs02\n"
TOP = b"127.0.0.1\tlocalhost\n"
CASES = [
    # (name, content, arguments, unchanged)
    ("the block is there", TOP + BEGIN + LINES + END, HOSTS, True),
    ("the block at the top", BEGIN + LINES + END + TOP, HOSTS, True),
    (
        "the block with a trailing newline asked",
        TOP + BEGIN + LINES + END,
        {**HOSTS, "block": HOSTS["block"] + "\n"},
        True,
    ),
    ("no block yet", TOP, HOSTS, False),
    ("an empty file", b"", HOSTS, False),
    (
        "a line of it changed",
        TOP + BEGIN + LINES.replace(b"10.0.0.2", b"10.0.0.9") + END,
        HOSTS,
        False,
    ),
    ("a line more inside", TOP + BEGIN + LINES + b"x\n" + END, HOSTS, False),
    ("only the begin marker", TOP + BEGIN + LINES, HOSTS, False),
    ("the markers the other way round", TOP + END + LINES + BEGIN, HOSTS, False),
    ("two blocks, the last one right", BEGIN + b"old\n" + END + BEGIN + LINES + END, HOSTS, True),
    ("no end of line before it", b"127.0.0.1 localhost", HOSTS, False),
    ("a CRLF inside", TOP + BEGIN + LINES.replace(b"\n", b"\r\n", 1) + END, HOSTS, False),
    (
        "the default marker",
        b"a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n",
        {"block": "x"},
        True,
    ),
    ("absent, no block", TOP, {**HOSTS, "state": "absent"}, True),
    ("absent, only one marker", TOP + BEGIN, {**HOSTS, "state": "absent"}, True),
    ("absent, a block to take out", TOP + BEGIN + LINES + END, {**HOSTS, "state": "absent"}, False),
    ("an empty block takes it out", TOP + BEGIN + LINES + END, {**HOSTS, "block": ""}, False),
    ("an empty block, none there", TOP, {**HOSTS, "block": ""}, True),
    ("not UTF-8 elsewhere", b"\xff\xfe\n" + BEGIN + LINES + END, HOSTS, True),
]


@pytest.mark.parametrize(("name", "content", "args", "unchanged"), CASES, ids=[c[0] for c in CASES])
def test_the_decision_is_the_modules(tmp_path, name, content, args, unchanged):
    path = tmp_path / "it's hosts"
    path.write_bytes(content)
    os.chmod(path, 0o644)
    args = {**args, **OWNED}
    assert blockinfile.already_so(args, status_of(path)) is unchanged, name
    assert module_changes(path, args) is not unchanged, name


def test_owner_group_and_mode_count_as_the_modules_do(tmp_path):
    path = tmp_path / "hosts"
    path.write_bytes(TOP + BEGIN + LINES + END)
    os.chmod(path, 0o640)
    for extra, unchanged in (
        ({"owner": ME, "group": MY_GROUP, "mode": "0640"}, True),
        ({"owner": ME, "group": MY_GROUP, "mode": "0644"}, False),
        ({"owner": ME, "group": MY_GROUP, "mode": "u=rw"}, False),  # not octal: left to the module
        ({"owner": str(os.getuid()), "group": MY_GROUP, "mode": "0640"}, True),
    ):
        for state in ("present", "absent"):
            args = {**HOSTS, **extra, "state": state}
            expected = unchanged and state == "present"
            if state == "absent":
                path.write_bytes(TOP)
                expected = unchanged
            assert blockinfile.already_so(args, status_of(path)) is expected, (extra, state)
            if expected:
                assert not module_changes(path, args), (extra, state)
            path.write_bytes(TOP + BEGIN + LINES + END)


def test_a_missing_file_a_link_and_odd_answers(tmp_path):
    missing = status_of(tmp_path / "missing")
    assert missing == {"state": "absent"}
    assert blockinfile.already_so({**HOSTS, **OWNED, "state": "absent"}, missing)
    assert not blockinfile.already_so({**HOSTS, **OWNED}, missing)
    (tmp_path / "real").write_bytes(BEGIN + LINES + END)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert status_of(tmp_path / "link") is None
    assert not blockinfile.already_so({**HOSTS, **OWNED}, None)


def test_arguments_it_does_not_take_are_refused():
    base = {"path": "/f", **OWNED}
    for args, said in (
        ({**HOSTS, "path": "/f"}, "needs owner, group, mode"),
        ({**base, **HOSTS, "insertbefore": "BOF"}, "does not take insertbefore"),
        ({**base, **HOSTS, "create": True}, "does not take create"),
        ({**base, **HOSTS, "marker_begin": "START"}, "does not take marker_begin"),
        ({**base, **HOSTS, "state": "latest"}, "present or absent"),
        ({**base, "block": "x", "marker": "# ie-cluster"}, "needs {mark}"),
        ({**base}, "needs block"),
    ):
        with pytest.raises(AnsibleActionFail, match=said):
            run_action(blockinfile.ActionModule, args, {"rc": 0, "stdout": "absent\n"})


def test_run_answers_from_the_shell_or_runs_the_module(tmp_path):
    path = tmp_path / "hosts"
    path.write_bytes(TOP + BEGIN + LINES + END)
    os.chmod(path, 0o644)
    args = {**HOSTS, **OWNED, "path": str(path), "unsafe_writes": True}
    answer = shell(blockinfile.probe_command(str(path)))
    result, sent, module = run_action(blockinfile.ActionModule, args, {"rc": 0, "stdout": answer})
    assert module is None and result["changed"] is False and result["checked_by_shell"]
    assert sent == [blockinfile.probe_command(str(path))]
    path.write_bytes(TOP)
    answer = shell(blockinfile.probe_command(str(path)))
    result, sent, module = run_action(blockinfile.ActionModule, args, {"rc": 0, "stdout": answer})
    assert module == ("ansible.legacy.blockinfile", args) and result["changed"] is True
    failed = run_action(blockinfile.ActionModule, args, {"rc": 1, "stdout": answer})
    assert failed[2] == ("ansible.legacy.blockinfile", args)
