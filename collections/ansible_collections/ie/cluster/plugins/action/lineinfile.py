# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.lineinfile: one line of a file, found by a regular expression,
made what the task says or removed, as ansible.builtin.lineinfile does it,
with one shell command where nothing is to change.

ansible.builtin.lineinfile starts Python and the module on the host for each
line, also on a re-run where the line is already there. This action first
reads the file with one shell command over the task's connection (with its
become): its mode, owner and group, and its content. It then decides here
as the module would: for ``state: present``, the last line the expression
matches (else the last line equal to ``line``) is ``line`` already, and the
owner, group and mode given are the file's; for ``state: absent``, no line
matches, or there is no file. Anything else (a line to add, replace or
remove, a file to create, a link, an answer not understood) runs
ansible.builtin.lineinfile with the same arguments, which does the work,
check mode and --diff as before.
"""

from __future__ import absolute_import, annotations, division, print_function

import base64
import binascii
import io
import re
import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.ie.cluster.plugins.action.copy import (
    check_arguments,
    owner_group_mode_match,
)
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ReadsPath

__metaclass__ = type

PRESENT = frozenset(
    {"path", "regexp", "line", "state", "create", "insertafter", "owner", "group", "mode"}
)
ABSENT = frozenset({"path", "regexp", "state"})
STAT_LINE = re.compile(r"([0-7]{1,4}) (\d+) (\d+) (\S+) (\S+)")


def probe_command(path: str) -> str:
    """One shell command: ``absent``; for a regular file (not a link) its
    mode, uid, gid, owner and group on one line and its content in base64 on
    the next; or ``other``."""
    quoted = shlex.quote(path)
    return (
        f"if [ -f {quoted} ] && [ ! -L {quoted} ]; then"
        f" LC_ALL=C stat -c '%a %u %g %U %G' -- {quoted} && base64 -w 0 -- {quoted} && echo;"
        f" elif [ -e {quoted} ] || [ -L {quoted} ]; then echo other; else echo absent; fi"
    )


def parse_probe(stdout: str) -> dict | None:
    """The file's state (and for a file its mode, uid, gid, pw_name, gr_name
    and its lines as bytes) from probe_command's answer; None for anything
    else or an answer not understood."""
    answer = stdout.split("\n")
    if answer[0].strip() == "absent" and not "".join(answer[1:]).strip():
        return {"state": "absent"}
    if len(answer) < 2 or "".join(answer[2:]).strip():
        return None
    stat = STAT_LINE.fullmatch(answer[0].strip())
    if not stat:
        return None
    try:
        content = base64.b64decode(answer[1].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    mode, uid, gid, owner, group = stat.groups()
    return {
        "state": "file",
        "mode": "%04o" % int(mode, 8),
        "uid": int(uid),
        "gid": int(gid),
        "pw_name": owner,
        "gr_name": group,
        # as the module reads them (file.readlines(): split after b"\n" only)
        "lines": io.BytesIO(content).readlines(),
    }


def already_so(args: dict, status: dict | None) -> bool:
    """Would ansible.builtin.lineinfile with ``args`` change nothing in a
    file in ``status``? Its own steps: the last line the expression matches
    (searched with the line end, as it does), else the last line equal to
    ``line`` without its end; that line must be ``line`` and a newline."""
    if status is None:
        return False
    try:
        expression = re.compile(str(args["regexp"]).encode("utf-8", "surrogateescape"))
    except re.error:
        return False
    lines = status.get("lines", [])
    matched = [index for index, line in enumerate(lines) if expression.search(line)]
    if args.get("state", "present") == "absent":
        return status["state"] == "absent" or not matched
    if status["state"] != "file":
        return False
    wanted = str(args["line"]).encode("utf-8", "surrogateescape")
    if not matched:
        matched = [index for index, line in enumerate(lines) if line.rstrip(b"\r\n") == wanted]
    if not matched or lines[matched[-1]] != wanted + b"\n":
        return False
    return owner_group_mode_match(args, status)


def unchanged_result(args: dict, status: dict) -> dict:
    """The result ansible.builtin.lineinfile gives for a file it leaves as it is."""
    result = {"changed": False, "msg": "", "backup": ""}
    if args.get("state", "present") == "absent":
        result["found"] = 0
    return {**result, "checked_by_shell": True}


def check_lineinfile_arguments(args: dict) -> None:
    """ie.cluster.lineinfile's arguments: a path and a regexp always, a line
    to put (state present, the default), or the lines to remove (absent)."""
    state = args.get("state", "present")
    if state not in ("present", "absent"):
        raise AnsibleActionFail(
            f"ie.cluster.lineinfile's state is present or absent, not {state!r}"
        )
    if state == "absent":
        check_arguments(args, ABSENT, "ie.cluster.lineinfile", ("path", "regexp"))
    else:
        check_arguments(args, PRESENT, "ie.cluster.lineinfile", ("path", "regexp", "line"))
    insertafter = args.get("insertafter")
    if insertafter not in (None, "EOF"):
        raise AnsibleActionFail(
            f"ie.cluster.lineinfile's insertafter is EOF or none, not {insertafter!r}"
        )
    if "create" in args:
        try:
            boolean(args["create"], strict=True)
        except TypeError as error:
            raise AnsibleActionFail(f"ie.cluster.lineinfile's create: {error}") from error


class ActionModule(ReadsPath):
    BUILTIN = "ansible.legacy.lineinfile"
    probe_command = staticmethod(probe_command)
    parse_probe = staticmethod(parse_probe)
    already_so = staticmethod(already_so)
    unchanged_result = staticmethod(unchanged_result)

    def arguments(self):
        args = dict(self._task.args)
        check_lineinfile_arguments(args)
        return args
