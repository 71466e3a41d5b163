"""The options each ie-podman command takes, as its parser reads them."""

from __future__ import annotations

from ie_common.errors import UsageError
from ie_common.i18n import N_, _
from ie_podman import allowlist


def opt(
    names: tuple[str, ...], dest: str, value: bool = False, metavar: str = "VALUE", help: str = ""
) -> allowlist.Option:
    return allowlist.Option(names, dest, value, help=help, metavar=metavar)


HELP = opt(("--help",), "help", help=N_("show this help"))
FORMAT = opt(("--format",), "format", True, "json|table", N_("json for scripts"))
RUN = (*allowlist.RUN_OPTIONS, HELP)
EXEC = (*allowlist.EXEC_OPTIONS, HELP)
BUILD = (*allowlist.BUILD_OPTIONS, HELP)
NAMES_ONLY = (HELP,)
FORMAT_ONLY = (FORMAT, HELP)
STOP = (opt(("--time", "-t"), "time", True, "SECONDS", N_("seconds to wait before killing")), HELP)
RM = (opt(("--force", "-f"), "force", help=N_("stop it first if it runs")), HELP)
LOGS = (
    opt(("--follow", "-f"), "follow", help=N_("keep following the log")),
    opt(("--tail",), "tail", True, "N", N_("only the last N lines")),
    HELP,
)
PS = (opt(("--all", "-a"), "all", help=N_("include stopped containers")), FORMAT, HELP)
SIF = (opt(("--force", "-F"), "force", help=N_("replace an existing SIF file")), HELP)
ADMIN = (
    opt(("--older-than",), "older_than", True, "SECONDS", N_("stopped for longer than this")),
    opt(("--dry-run",), "dry_run", help=N_("only say what would be reclaimed")),
    FORMAT,
    HELP,
)


def seconds(value: object, option: str) -> str:
    text = str(value)
    if not text.isdigit():
        raise UsageError(_("{option} takes a whole number of seconds", option=option))
    return text
