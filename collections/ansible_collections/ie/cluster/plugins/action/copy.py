# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.copy: ansible.builtin.copy, with one shell command where a file
is already right.

For a file that needs no change, ansible.builtin.copy's action runs two
modules on the host: ``stat`` for the checksum, then ``file`` for the owner
and mode, each a Python started there. On a re-run that is most of a
role's tasks. This action is the builtin action itself (a subclass, so
check mode, --diff, validate and the transfer are ansible-core's), with two
of its steps answered differently:

- the remote stat of a regular file is one shell command (``stat`` and
  ``sha1sum``, with the task's become) instead of the ``stat`` module; a
  link, a directory, a missing file or an odd answer goes to the module;
- the ``file`` module it runs for a file whose checksum matched is not run
  when that stat shows the owner, group and mode asked already.

Its arguments are fewer than the builtin's, and owner, group and mode are
required: every file the roles write says who owns it and who can read it.
"""

from __future__ import absolute_import, annotations, division, print_function

import re
import shlex

from ansible.errors import AnsibleActionFail
from ansible.plugins.action.copy import ActionModule as BuiltinCopy
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ask

__metaclass__ = type

ALLOWED = frozenset({"src", "content", "dest", "owner", "group", "mode", "force", "validate"})
REQUIRED = ("dest", "owner", "group", "mode")
# What the builtin copy action passes to the file module for a file whose
# checksum matched (_create_remote_file_args and its own keys): anything
# else (an SELinux context, attributes, diff's peek) goes to the module.
FILE_ARGS = {"dest", "_original_basename", "recurse", "state", "mode", "owner", "group", "follow"}
OCTAL = re.compile(r"0?[0-7]{3,4}")
STAT_LINE = re.compile(r"(regular (?:empty )?file) ([0-7]{1,4}) (\d+) (\d+) (\S+) (\S+) (\d+)")
SHA1 = re.compile(r"[0-9a-f]{40}")


def check_arguments(
    args: dict, allowed: frozenset, action: str, required: tuple = REQUIRED
) -> None:
    """Fail for an argument ``action`` does not take, or a required one missing."""
    odd = sorted(set(args) - allowed)
    if odd:
        raise AnsibleActionFail(
            "%s does not take %s (it takes %s; the rest is the builtin's)"
            % (action, ", ".join(odd), ", ".join(sorted(allowed)))
        )
    missing = [name for name in required if args.get(name) in (None, "")]
    if missing:
        raise AnsibleActionFail(
            "%s needs %s: every file says who owns it and who can read it"
            % (action, ", ".join(missing))
        )


def stat_command(path: str) -> str:
    """One shell command: a regular file's type, mode, uid, gid, owner, group
    and size on one line and its SHA-1 on the next; ``other`` for anything else."""
    quoted = shlex.quote(path)
    return (
        f"if [ -f {quoted} ] && [ ! -L {quoted} ]; then"
        f" LC_ALL=C stat -c '%F %a %u %g %U %G %s' -- {quoted} && sha1sum -- {quoted};"
        " else echo other; fi"
    )


def parse_stat(stdout: str) -> dict | None:
    """The stat dict ansible's copy action reads, from stat_command's answer;
    None when it is not a regular file or the answer is not understood."""
    lines = stdout.strip().splitlines()
    if len(lines) != 2:
        return None
    line = STAT_LINE.fullmatch(lines[0].strip())
    checksum = lines[1].split(" ", 1)[0]
    if not line or not SHA1.fullmatch(checksum):
        return None
    mode, uid, gid, owner, group, size = line.groups()[1:]
    return {
        "exists": True,
        "isreg": True,
        "isdir": False,
        "islnk": False,
        "checksum": checksum,
        "mode": "%04o" % int(mode, 8),
        "uid": int(uid),
        "gid": int(gid),
        "pw_name": owner,
        "gr_name": group,
        "size": int(size),
    }


def attributes_match(file_args: dict, status: dict) -> bool:
    """Would the file module change nothing on a file with ``status``?"""
    if set(file_args) - FILE_ARGS or file_args.get("state", "file") != "file":
        return False
    if file_args.get("recurse"):
        return False
    return owner_group_mode_match(file_args, status)


def owner_group_mode_match(asked: dict, status: dict) -> bool:
    """Are the owner, group and octal mode ``asked`` (those given) the ones in
    ``status`` (a stat's mode, uid, gid, pw_name, gr_name)? A mode that is not
    an octal string is not known to match."""
    mode = asked.get("mode")
    if mode is not None:
        if not isinstance(mode, str) or not OCTAL.fullmatch(mode):
            return False
        if int(mode, 8) != int(status["mode"], 8):
            return False
    for key, name, number in (("owner", "pw_name", "uid"), ("group", "gr_name", "gid")):
        want = asked.get(key)
        if want is not None and str(want) not in (status[name], str(status[number])):
            return False
    return True


class FastStat:
    """The two steps of ansible-core's copy action answered with one shell command."""

    def _execute_remote_stat(self, path, all_vars, follow, tmp=None, checksum=True):
        answer = ask(self, stat_command(path))
        status = parse_stat(answer.get("stdout", "")) if answer.get("rc") == 0 else None
        if status is None:
            return super()._execute_remote_stat(path, all_vars, follow, tmp=tmp, checksum=checksum)
        self._ie_stats = {**getattr(self, "_ie_stats", {}), path: status}
        return status

    def _execute_module(self, module_name=None, module_args=None, *args, **kwargs):
        status = getattr(self, "_ie_stats", {}).get((module_args or {}).get("dest"))
        if (
            module_name == "ansible.legacy.file"
            and status is not None
            and attributes_match(module_args, status)
        ):
            return {
                "changed": False,
                "path": module_args["dest"],
                "state": "file",
                "mode": status["mode"],
                "owner": status["pw_name"],
                "group": status["gr_name"],
                "uid": status["uid"],
                "gid": status["gid"],
                "size": status["size"],
                "checked_by_shell": True,
            }
        return super()._execute_module(module_name, module_args, *args, **kwargs)


class ActionModule(FastStat, BuiltinCopy):
    def run(self, tmp=None, task_vars=None):
        # The template action hands its rendered file over with follow.
        allowed = (ALLOWED | {"follow"}) if self._ie_internal else ALLOWED
        check_arguments(self._task.args, allowed, "ie.cluster.copy")
        return super().run(tmp, task_vars)

    _ie_internal = False
