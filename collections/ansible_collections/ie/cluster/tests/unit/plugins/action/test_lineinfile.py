# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.lineinfile's shell probe and its decision, on real files here,
each case also given to ansible.builtin.lineinfile itself in check mode: the
action may call a file unchanged only where the module says so."""

from __future__ import absolute_import, annotations, division, print_function

import grp
import os
import pwd

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import lineinfile
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import (
    builtin_changes,
    run_action,
    shell,
)

__metaclass__ = type

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def answer(path):
    return shell(lineinfile.probe_command(str(path)))


def module_changes(path, args):
    """ansible.builtin.lineinfile's own answer, in check mode: would it change ``path``?"""
    return builtin_changes("lineinfile", path, args)


SETTING = {"regexp": r"^#?\s*SUB_UID_COUNT\s", "line": "SUB_UID_COUNT 0"}
KEY = {
    "regexp": r"\sie-backup-www@backup01$",
    "line": "restrict ssh-ed25519 AAAA ie-backup-www@backup01",
}
# rsnapshot_source's removal: every ie-backup key of server b but www's
STALE_KEYS = {"regexp": r"\sie-backup(?!-(?:www)@b$)(-[A-Za-z0-9_.-]+)?@b$", "state": "absent"}
CASES = [
    # (name, content, arguments, unchanged)
    ("the line is there", b"A 1\nSUB_UID_COUNT 0\nB 2\n", SETTING, True),
    ("a commented default", b"A 1\n#SUB_UID_COUNT 65536\n", SETTING, False),
    ("another value", b"SUB_UID_COUNT 65536\n", SETTING, False),
    ("no line at all", b"A 1\n", SETTING, False),
    ("an empty file", b"", SETTING, False),
    ("the last match counts", b"SUB_UID_COUNT 0\n# SUB_UID_COUNT 1\n", SETTING, False),
    ("the last match is right", b"# SUB_UID_COUNT 1\nSUB_UID_COUNT 0\n", SETTING, True),
    ("no end of line at the end", b"A 1\nSUB_UID_COUNT 0", SETTING, False),
    ("a CRLF line end", b"SUB_UID_COUNT 0\r\nA 1\n", SETTING, False),
    (
        "no match, the exact line",
        b"x\nSUB_GID_COUNT 0\n",
        {"regexp": r"^SUB_GID_COUNT=", "line": "SUB_GID_COUNT 0"},
        True,
    ),
    (
        "a key line with its end anchor",
        b"other\nrestrict ssh-ed25519 AAAA ie-backup-www@backup01\n",
        KEY,
        True,
    ),
    ("the key changed", b"restrict ssh-ed25519 BBBB ie-backup-www@backup01\n", KEY, False),
    ("not UTF-8 elsewhere", b"\xff\xfe\nSUB_UID_COUNT 0\n", SETTING, True),
    (
        "a quote and a dollar",
        b"it's $(x) = 1\n",
        {"regexp": r"^it's ", "line": "it's $(x) = 1"},
        True,
    ),
    ("absent, nothing matches", b"a\nb\n", {"regexp": r"^c", "state": "absent"}, True),
    ("absent, a line matches", b"a\nc 1\n", {"regexp": r"^c", "state": "absent"}, False),
    (
        "absent, a look-ahead spares the kept key",
        b"k ie-backup-www@b\nk ie-backup-old@b\n",
        STALE_KEYS,
        False,
    ),
    ("absent, only the kept key", b"k ie-backup-www@b\n", STALE_KEYS, True),
]


@pytest.mark.parametrize(("name", "content", "args", "unchanged"), CASES, ids=[c[0] for c in CASES])
def test_the_decision_is_the_modules(tmp_path, name, content, args, unchanged):
    path = tmp_path / "it's a file"
    path.write_bytes(content)
    status = lineinfile.parse_probe(answer(path))
    assert status["lines"] == content.splitlines(keepends=True) or b"\r" in content
    assert lineinfile.already_so(args, status) is unchanged, name
    assert module_changes(path, args) is not unchanged, name


def test_owner_group_and_mode_count_as_the_modules_do(tmp_path):
    path = tmp_path / "conf"
    path.write_bytes(b"SUB_UID_COUNT 0\n")
    os.chmod(path, 0o640)
    for extra, unchanged in (
        ({"owner": ME, "group": MY_GROUP, "mode": "0640"}, True),
        ({"mode": "0644"}, False),
        ({"mode": "u=rw"}, False),  # not octal: left to the module
        ({"owner": str(os.getuid())}, True),
    ):
        args = {**SETTING, **extra}
        assert lineinfile.already_so(args, lineinfile.parse_probe(answer(path))) is unchanged, extra
        if unchanged:
            assert not module_changes(path, args), extra


def test_a_missing_file_a_link_and_odd_answers(tmp_path):
    assert lineinfile.parse_probe(answer(tmp_path / "missing")) == {"state": "absent"}
    absent = {"regexp": "^x", "state": "absent"}
    assert lineinfile.already_so(absent, {"state": "absent"})
    assert not lineinfile.already_so({**SETTING, "create": True}, {"state": "absent"})
    (tmp_path / "real").write_text("SUB_UID_COUNT 0\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert answer(tmp_path / "link").strip() == "other"
    for odd in ("other\n", "", "0644 0 0 root root\nnot base64!\n", "absent\nmore\n", "x y\n\n"):
        assert lineinfile.parse_probe(odd) is None, odd
    assert not lineinfile.already_so(SETTING, None)
    assert not lineinfile.already_so({**SETTING, "regexp": "("}, {"state": "file", "lines": []})


def test_arguments_it_does_not_take_are_refused():
    for args, said in (
        ({"path": "/f", "line": "x"}, "needs regexp"),
        ({"path": "/f", "regexp": "x"}, "needs line"),
        ({"path": "/f", "regexp": "x", "line": "x", "backrefs": True}, "does not take backrefs"),
        (
            {"path": "/f", "regexp": "x", "line": "x", "insertbefore": "BOF"},
            "does not take insertbefore",
        ),
        ({"path": "/f", "regexp": "x", "line": "x", "insertafter": "^A"}, "insertafter is EOF"),
        ({"path": "/f", "regexp": "x", "state": "absent", "mode": "0644"}, "does not take mode"),
        ({"path": "/f", "regexp": "x", "line": "x", "state": "latest"}, "present or absent"),
        ({"path": "/f", "regexp": "x", "line": "x", "create": "perhaps"}, "create"),
    ):
        with pytest.raises(AnsibleActionFail, match=said):
            run_action(lineinfile.ActionModule, args, {"rc": 0, "stdout": "absent\n"})


def test_run_answers_from_the_shell_or_runs_the_module(tmp_path):
    path = tmp_path / "conf"
    path.write_bytes(b"SUB_UID_COUNT 0\n")
    args = {**SETTING, "path": str(path), "create": True, "insertafter": "EOF"}
    result, sent, module = run_action(
        lineinfile.ActionModule, args, {"rc": 0, "stdout": answer(path)}
    )
    assert module is None and result["changed"] is False and result["checked_by_shell"]
    assert sent == [lineinfile.probe_command(str(path))]
    path.write_bytes(b"SUB_UID_COUNT 1\n")
    result, sent, module = run_action(
        lineinfile.ActionModule, args, {"rc": 0, "stdout": answer(path)}
    )
    assert module == ("ansible.legacy.lineinfile", args) and result["changed"] is True
    failed = run_action(lineinfile.ActionModule, args, {"rc": 1, "stdout": answer(path)})
    assert failed[2] == ("ansible.legacy.lineinfile", args)
    absent = {"path": str(tmp_path / "missing"), "regexp": "^x", "state": "absent"}
    result, sent, module = run_action(
        lineinfile.ActionModule, absent, {"rc": 0, "stdout": "absent\n"}
    )
    assert module is None and result == {**result, "changed": False, "found": 0}
    assert sent == [lineinfile.probe_command(absent["path"])]
