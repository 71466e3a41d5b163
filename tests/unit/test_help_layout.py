"""Both wrappers' --help pages have one layout (ie_common.helptext, issue 25):
the usage line with sudo, what it does, a table of commands or options, and
the exit statuses, in that order."""

from __future__ import annotations

import re

import pytest

from ie_podman import cli as podman_cli
from ie_podman import helppage
from ie_virsh import options as virsh_options


def virsh_help(args):
    parser = virsh_options.parser()
    if not args:
        return parser.format_help()
    sub = parser._subparsers._group_actions[0].choices[args[0]]
    return sub.format_help()


def shape(text):
    """The layout: the first words of each block (usage, description, table title...)."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return [re.sub(r"\s.*", "", b.strip(), flags=re.S) for b in blocks]


@pytest.mark.parametrize(
    ("podman", "virsh"),
    [((), ()), (("run",), ("define",)), (("ps",), ("list",)), (("rm",), ("undefine",))],
)
def test_both_wrappers_share_one_help_layout(podman, virsh):
    p = podman_cli.top_help(None) if not podman else podman_cli.command_help(podman[0], None)
    v = virsh_help(list(virsh))
    for text, program in ((p, "ie-podman"), (v, "ie-virsh")):
        blocks = [b for b in text.split("\n\n") if b.strip()]
        assert blocks[0].startswith(f"usage: sudo {program}")
        assert blocks[2].split("\n")[0] in (
            "commands:",
            "options:",
            "options (the same as podman's):",
        )
        assert blocks[-1].startswith("exit status: 0 done, 1 ")
        assert all(len(line) <= 80 for line in text.splitlines()), text
    assert shape(p)[0] == shape(v)[0] == "usage:"


def test_every_command_in_the_table_is_real():
    listed = {name for name, _ in helppage.COMMAND_LIST}
    assert listed == set(podman_cli.COMMANDS) - {"__complete"} | {"version"}
    table = virsh_help([])
    for command in ("define", "list", "templates", "console"):
        assert f"\n  {command} " in table
    assert "__complete" not in table
