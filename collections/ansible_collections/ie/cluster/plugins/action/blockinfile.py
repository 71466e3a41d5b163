# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.blockinfile: a block of lines between two marker lines, put in
a file or taken out, as ansible.builtin.blockinfile does it, with one shell
command where nothing is to change.

ansible.builtin.blockinfile starts Python and the module on the host, also
on a re-run where the block is already there. This action first reads the
file with ie.cluster.lineinfile's shell command (its mode, owner and group,
and its content), makes the module's own edit of that content here (the
markers found, the block put between them or at the end, or taken out) and,
when the edit gives the content back unchanged and the owner, group and mode
given are the file's, returns unchanged. Anything else (a block to add,
change or remove, no file, a link, an answer not understood) runs
ansible.builtin.blockinfile with the same arguments, which does the work,
check mode and --diff as before.
"""

from __future__ import absolute_import, annotations, division, print_function

import re

from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action.copy import (
    check_arguments,
    owner_group_mode_match,
)
from ansible_collections.ie.cluster.plugins.action.lineinfile import (
    parse_probe,
    probe_command,
)
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ReadsPath

__metaclass__ = type

ALLOWED = frozenset({"path", "block", "marker", "state", "owner", "group", "mode", "unsafe_writes"})
MARKER = "# {mark} ANSIBLE MANAGED BLOCK"


def edited(content: bytes, block: str, marker: str, present: bool) -> bytes:
    """``content`` after ansible.builtin.blockinfile's edit with insertafter
    EOF (its default), no blank lines added and BEGIN and END as the marks:
    the last BEGIN and the last END line found and what lies between them
    replaced by the block; without both, the block added at the end. An
    empty block, or ``present`` false, takes the block out."""
    data = block.encode("utf-8", "surrogateescape")
    mark = marker.encode("utf-8", "surrogateescape")
    begin = re.sub(rb"{mark}", b"BEGIN", mark) + b"\n"
    end = re.sub(rb"{mark}", b"END", mark) + b"\n"
    if present and data:
        if not data.endswith(b"\n"):
            data += b"\n"
        lines_in = [begin, *data.splitlines(True), end]
    else:
        lines_in = []
    lines = content.splitlines(True)
    first = last = None
    for index, line in enumerate(lines):
        if line == begin:
            first = index
        if line == end:
            last = index
    if first is None or last is None:
        at = len(lines)
    elif first < last:
        del lines[first : last + 1]
        at = first
    else:
        del lines[last : first + 1]
        at = last
    if at > 0 and not lines[at - 1].endswith(b"\n"):
        lines[at - 1] += b"\n"
    lines[at:at] = lines_in
    return b"".join(lines)


def already_so(args: dict, status: dict | None) -> bool:
    """Would ansible.builtin.blockinfile with ``args`` change nothing in a
    file in ``status``? No file is left as it is only for ``state: absent``
    (the module makes no file otherwise here: ``create`` is not taken)."""
    if status is None:
        return False
    present = args.get("state", "present") == "present"
    if status["state"] == "absent":
        return not present
    if status["state"] != "file":
        return False
    content = b"".join(status["lines"])
    block = str(args.get("block") or "")
    marker = str(args.get("marker") or MARKER)
    if edited(content, block, marker, present) != content:
        return False
    return owner_group_mode_match(args, status)


def unchanged_result(args: dict, status: dict) -> dict:
    """The result ansible.builtin.blockinfile gives for a file it leaves as it is."""
    return {"changed": False, "msg": "", "checked_by_shell": True}


def check_blockinfile_arguments(args: dict) -> None:
    """ie.cluster.blockinfile's arguments: a path always, a block, a marker
    with ``{mark}`` in it, owner, group and mode, state present or absent."""
    state = args.get("state", "present")
    if state not in ("present", "absent"):
        raise AnsibleActionFail(
            f"ie.cluster.blockinfile's state is present or absent, not {state!r}"
        )
    check_arguments(args, ALLOWED, "ie.cluster.blockinfile", ("path", "owner", "group", "mode"))
    marker = args.get("marker", MARKER)
    if not isinstance(marker, str) or "{mark}" not in marker:
        raise AnsibleActionFail("ie.cluster.blockinfile's marker needs {mark} in it")
    if state == "present" and not isinstance(args.get("block"), str):
        raise AnsibleActionFail("ie.cluster.blockinfile needs block, the lines to put in")


class ActionModule(ReadsPath):
    BUILTIN = "ansible.legacy.blockinfile"
    probe_command = staticmethod(probe_command)
    parse_probe = staticmethod(parse_probe)
    already_so = staticmethod(already_so)
    unchanged_result = staticmethod(unchanged_result)

    def arguments(self):
        args = dict(self._task.args)
        check_blockinfile_arguments(args)
        return args
