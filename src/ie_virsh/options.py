"""ie-virsh's command line: argparse, with bad command lines as exit status 2."""

from __future__ import annotations

import argparse

from ie_common.errors import UsageError
from ie_virsh import __version__

EPILOG = """\
exit status: 0 done, 1 libvirt or qemu-img failed (its message is shown),
2 bad command line, 3 refused by ie-virsh's rules, 4 no such domain or
template of yours, 5 a limit would be exceeded, 7 not run through sudo or
ie-virsh is misconfigured.
"""


class Usage(argparse.ArgumentParser):
    """argparse that reports bad command lines as UsageError (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see {self.prog} --help")


def parser() -> Usage:
    p = Usage(
        prog="ie-virsh",
        description="VMs for students on the system libvirt: every VM is yours alone.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"ie-virsh {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Usage)

    def cmd(name: str, help_text: str, fmt: bool = False) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if fmt:
            c.add_argument("--format", choices=["table", "json"], default="table")
        return c

    d = cmd("define", "create a VM from an admin template (copy-on-write disk)")
    d.add_argument("name", nargs="?", help="the VM's name (completed with your user name)")
    d.add_argument("--template", required=True, help="one of `ie-virsh templates`")
    d.add_argument("--xml", metavar="FILE", help="take name, vcpu and memory from this XML file")
    d.add_argument("--vcpus", type=int, help="virtual CPUs (default 1)")
    d.add_argument("--memory", type=int, metavar="MiB", help="memory in MiB (default 1024)")
    d.add_argument("--disk", type=int, metavar="GiB", help="disk size in GiB (default 10)")
    d.add_argument(
        "-gdb", "--gdb", action="store_true", help="QEMU gdbstub on a socket only you can use"
    )
    for name, text in (
        ("undefine", "delete one of your VMs and its disk"),
        ("start", "power on one of your VMs"),
        ("destroy", "force off one of your VMs"),
        ("dumpxml", "show a VM's XML"),
        ("gdb", "say how to connect gdb to a VM defined with -gdb"),
        ("console", "attach to a VM's serial console (Ctrl+] leaves)"),
    ):
        cmd(name, text).add_argument("name")
    e = cmd("edit", "change a VM's vCPUs and memory (disk growth: ask the admins)")
    e.add_argument("name")
    e.add_argument("--vcpus", type=int)
    e.add_argument("--memory", type=int, metavar="MiB")
    cmd("list", "list your VMs", fmt=True).add_argument("--all", action="store_true")
    cmd("domiflist", "show a VM's interfaces (MAC addresses)", fmt=True).add_argument("name")
    cmd("templates", "list the templates define --template accepts", fmt=True)
    return p
