"""ie-virsh's command line: argparse, with bad command lines as exit status 2."""

from __future__ import annotations

import argparse
import re

from ie_common import i18n
from ie_common.errors import UsageError
from ie_common.i18n import N_, _
from ie_virsh import __version__, config

DESCRIPTION = N_("VMs for students on the system libvirt: every VM is yours alone.")


def exit_help() -> str:
    from ie_common import helptext

    return helptext.exit_statuses("ie-virsh", _("libvirt or qemu-img"), _("VM or template"), {})


# virsh's scaled integers (virsh(1), "memory"): the unit's factor in bytes.
UNITS = {
    "b": 1, "byte": 1, "bytes": 1,
    "kb": 10**3, "k": 2**10, "kib": 2**10,
    "mb": 10**6, "m": 2**20, "mib": 2**20,
    "gb": 10**9, "g": 2**30, "gib": 2**30,
    "tb": 10**12, "t": 2**40, "tib": 2**40,
}  # fmt: skip
SCALED_RE = re.compile(r"([0-9]{1,15})\s*([A-Za-z]*)")


def count(text: str) -> int:
    """A number of vCPUs or GiB: a whole number of 1 or more, never 0 or
    below (which would otherwise fall back to the default unseen)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a whole number of 1 or more", text=text)
        )
    return int(text)


def memory_mib(text: str) -> int:
    """Memory in MiB, with virsh's units (``2048``, ``2G``, ``512MiB``,
    ``1GB``); a plain number is MiB, as ie-virsh has always read it."""
    match = SCALED_RE.fullmatch(text.strip())
    unit = match.group(2).lower() if match else ""
    if not match or (unit and unit not in UNITS):
        raise argparse.ArgumentTypeError(
            _(
                "{text!r} is not a memory size: give MiB (2048) or a unit of virsh's "
                "(512M, 2G, 2GiB, 2GB)",
                text=text,
            )
        )
    size = int(match.group(1)) * (UNITS[unit] if unit else 2**20)
    if size < 2**20 or size % 2**20:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a whole number of MiB of 1 or more", text=text)
        )
    return size // 2**20


# argparse's own messages that reach a student through Usage.error, in the
# catalogue too (argparse looks them up with gettext; use_language points it
# at ours).
ARGPARSE_MESSAGES = (
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    # looked up as the parser is built (the help layout is ie_common.helptext's)
    N_("positional arguments"),
    N_("show this help message and exit"),
)


def use_language(environ: dict[str, str]) -> None:
    """The caller's language for ie-virsh's messages and argparse's
    (argparse calls the gettext and ngettext it imported; they become the
    catalogue's, which never reads a path from the environment)."""
    i18n.setup(environ)
    argparse._ = i18n.plain  # type: ignore[attr-defined]
    argparse.ngettext = i18n.plain_ngettext  # type: ignore[attr-defined]


class Usage(argparse.ArgumentParser):
    """argparse that reports bad command lines as UsageError (exit status 2),
    with its help in the layout ie-podman's shares (ie_common.helptext)."""

    server_note = ""

    def error(self, message: str) -> None:  # type: ignore[override]
        # the hint (sudo ie-virsh COMMAND --help) is ie_common.errors.hint_for's
        raise UsageError(message)

    def format_help(self) -> str:
        from ie_common import helptext

        notes = [exit_help(), self.server_note]
        if self._subparsers is not None:  # ie-virsh itself: its commands
            (commands,) = self._subparsers._group_actions
            rows = [(a.dest, a.help or "") for a in commands._get_subactions()]
            return helptext.page(
                "sudo ie-virsh COMMAND [OPTIONS] ...",
                self.description or "",
                [helptext.table(_("commands"), rows)],
                [_("Every command takes --help. --format json prints JSON for scripts."), *notes],
            )
        words, rows = [], []
        for action in self._actions:
            name = action.dest.upper()
            if not action.option_strings:
                words.append(f"[{name}]" if action.nargs == "?" else name)
                continue
            value = "" if action.nargs == 0 else f" {action.metavar or name}"
            if action.choices and action.nargs != 0:
                value = f" {'|'.join(action.choices)}"
            if action.required:
                words.append(f"{action.option_strings[-1]}{value}")
            text = _("show this help") if isinstance(action, argparse._HelpAction) else action.help
            rows.append((", ".join(action.option_strings) + value, text or ""))
        usage = " ".join([f"sudo {self.prog}", *words, "[OPTIONS]"])
        sections = [helptext.table(_("options"), rows)]
        return helptext.page(usage, self.description or "", sections, notes)


def limits_note(cfg: config.Config) -> str:
    lim = cfg.limits
    return (
        _(
            "On this server, per student (the admins may give you other limits): "
            "{vms} VMs, {vcpus} vCPUs, {memory_mib} MiB of memory and {disk_gib} GiB "
            "of disk in all.",
            vms=lim.vms,
            vcpus=lim.vcpus,
            memory_mib=lim.memory_mib,
            disk_gib=lim.disk_gib,
        )
        + "\n"
    )


def command_names(p: argparse.ArgumentParser) -> frozenset[str]:
    """The commands ``p`` (ie-virsh's parser) takes."""
    (commands,) = p._subparsers._group_actions  # type: ignore[union-attr]
    return frozenset(commands.choices or ())


def parser(cfg: config.Config | None = None) -> Usage:
    """The command line; with ``cfg`` (this server's configuration) --help
    shows its defaults and limits, without it the built-in defaults."""
    values = cfg or config.Config()
    Usage.server_note = limits_note(cfg) if cfg else ""
    p = Usage(prog="ie-virsh", description=_(DESCRIPTION))
    p.add_argument("--version", action="version", version=f"ie-virsh {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Usage, metavar="COMMAND")

    def cmd(name: str, help_text: str, fmt: bool = False) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        if fmt:
            c.add_argument(
                "--format", choices=["table", "json"], default="table", help=_("json for scripts")
            )
        return c

    d = cmd("define", _("create a VM from an admin template (copy-on-write disk)"))
    d.add_argument("name", nargs="?", help=_("the VM's name (completed with your user name)"))
    d.add_argument("--template", required=True, help=_("one of `ie-virsh templates`"))
    d.add_argument("--xml", metavar="FILE", help=_("take name, vcpu and memory from this XML file"))
    memory_help = _("MiB, or 512M, 2G ... (default {mib})", mib=values.default_memory_mib)
    vcpus_help = _("virtual CPUs (default {vcpus})", vcpus=values.default_vcpus)
    d.add_argument("--vcpus", type=count, metavar="N", help=vcpus_help)
    d.add_argument("--memory", type=memory_mib, metavar="SIZE", help=memory_help)
    disk_help = _(
        "disk size in GiB (default {gib}, or the template's size where that is larger)",
        gib=values.default_disk_gib,
    )
    d.add_argument("--disk", type=count, metavar="GiB", help=disk_help)
    d.add_argument(
        "-gdb", "--gdb", action="store_true", help=_("QEMU gdbstub on a socket only you can use")
    )
    for name, text in (
        ("undefine", N_("delete one of your VMs and its disk")),
        ("start", N_("power on one of your VMs")),
        ("destroy", N_("force off one of your VMs")),
        ("dumpxml", N_("show a VM's XML")),
        ("gdb", N_("say how to connect gdb to a VM defined with -gdb")),
        ("console", N_("attach to a VM's serial console (Ctrl+] leaves)")),
    ):
        cmd(name, _(text)).add_argument("name")
    e = cmd("edit", _("change a VM's vCPUs and memory (disk growth: ask the admins)"))
    e.add_argument("name")
    e.add_argument("--vcpus", type=count, metavar="N", help=_("virtual CPUs from the next start"))
    e.add_argument("--memory", type=memory_mib, metavar="SIZE", help=_("MiB, or 512M, 2G ..."))
    cmd("list", _("list your VMs"), fmt=True).add_argument(
        "--all", action="store_true", help=_("include VMs that are shut off")
    )
    cmd("domiflist", _("show a VM's interfaces (MAC addresses)"), fmt=True).add_argument("name")
    cmd("templates", _("list the templates define --template accepts"), fmt=True)
    # For the bash completion, not shown in --help: the caller's own names.
    complete = sub.add_parser("__complete")  # (no help=: argparse then does not list it)
    complete.add_argument("kind", choices=["vms", "running", "templates"])
    return p
