# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.file: a directory, a file's owner and mode, or a path removed, as
ansible.builtin.file does them, with one shell command where nothing is to
change.

ansible.builtin.file starts Python and the module on the host for every
path, also on a re-run where the directory is already there with its owner
and mode. This action first reads the path with one shell command over the
task's connection (with its become): its type, and for a directory or a
regular file its mode, owner and group. When that is already what the task
asks, it returns unchanged; anything else (a path to create, change or
remove, a link, an answer not understood) runs ansible.builtin.file with the
same arguments, which does the work, check mode and --diff as before.
"""

from __future__ import absolute_import, annotations, division, print_function

import re
import shlex

from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action.copy import (
    check_arguments,
    owner_group_mode_match,
)
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ReadsPath

__metaclass__ = type

ALLOWED = frozenset({"path", "state", "owner", "group", "mode"})
STATES = ("directory", "file", "absent")
STAT_LINE = re.compile(r"(directory|regular (?:empty )?file) ([0-7]{1,4}) (\d+) (\d+) (\S+) (\S+)")


def probe_command(path: str) -> str:
    """One shell command: ``absent``; a directory's or regular file's type,
    mode, uid, gid, owner and group on one line; or ``other`` (a link, a
    device, a socket)."""
    quoted = shlex.quote(path)
    return (
        f"if [ -L {quoted} ]; then echo other;"
        f" elif [ -d {quoted} ] || [ -f {quoted} ]; then"
        f" LC_ALL=C stat -c '%F %a %u %g %U %G' -- {quoted};"
        f" elif [ -e {quoted} ]; then echo other; else echo absent; fi"
    )


def parse_probe(stdout: str) -> dict | None:
    """The path's state (and for a directory or file its mode, uid, gid,
    pw_name, gr_name) from probe_command's answer; None when it is another
    kind of file or the answer is not understood."""
    answer = stdout.strip()
    if answer == "absent":
        return {"state": "absent"}
    line = STAT_LINE.fullmatch(answer)
    if not line:
        return None
    kind, mode, uid, gid, owner, group = line.groups()
    return {
        "state": "directory" if kind == "directory" else "file",
        "mode": "%04o" % int(mode, 8),
        "uid": int(uid),
        "gid": int(gid),
        "pw_name": owner,
        "gr_name": group,
    }


def already_so(args: dict, status: dict | None) -> bool:
    """Would ansible.builtin.file with ``args`` change nothing at a path in ``status``?"""
    if status is None or status["state"] != args["state"]:
        return False
    return args["state"] == "absent" or owner_group_mode_match(args, status)


def unchanged_result(args: dict, status: dict) -> dict:
    """The result ansible.builtin.file gives for a path it leaves as it is."""
    result = {"changed": False, "path": args["path"], "state": status["state"]}
    if status["state"] != "absent":
        result.update(
            mode=status["mode"],
            owner=status["pw_name"],
            group=status["gr_name"],
            uid=status["uid"],
            gid=status["gid"],
        )
    return {**result, "checked_by_shell": True}


def check_file_arguments(args: dict) -> None:
    """ie.cluster.file's arguments: a state of STATES, and owner, group and
    mode for a directory or file, none of them for a path to remove."""
    state = args.get("state")
    if state not in STATES:
        raise AnsibleActionFail(
            f"ie.cluster.file's state is one of {', '.join(STATES)}, not {state!r}"
        )
    if state == "absent":
        check_arguments(args, frozenset({"path", "state"}), "ie.cluster.file", ("path",))
    else:
        check_arguments(args, ALLOWED, "ie.cluster.file", ("path", "owner", "group", "mode"))


class ActionModule(ReadsPath):
    BUILTIN = "ansible.legacy.file"
    probe_command = staticmethod(probe_command)
    parse_probe = staticmethod(parse_probe)
    already_so = staticmethod(already_so)
    unchanged_result = staticmethod(unchanged_result)

    def arguments(self):
        args = dict(self._task.args)
        check_file_arguments(args)
        return args
