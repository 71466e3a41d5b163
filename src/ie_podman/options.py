"""The options each ie-podman command takes, as its parser reads them."""

from __future__ import annotations

from ie_common.errors import UsageError
from ie_podman import policy


def opt(
    names: tuple[str, ...], dest: str, value: bool = False, metavar: str = "VALUE", help: str = ""
) -> policy.Option:
    return policy.Option(names, dest, value, help=help, metavar=metavar)


HELP = opt(("--help",), "help", help="show this help")
FORMAT = opt(("--format",), "format", True, "json|table", "json for scripts")
RUN = (*policy.RUN_OPTIONS, HELP)
EXEC = (*policy.EXEC_OPTIONS, HELP)
BUILD = (*policy.BUILD_OPTIONS, HELP)
NAMES_ONLY = (HELP,)
FORMAT_ONLY = (FORMAT, HELP)
STOP = (opt(("--time", "-t"), "time", True, "SECONDS", "seconds to wait before killing"), HELP)
RM = (opt(("--force", "-f"), "force", help="stop it first if it runs"), HELP)
LOGS = (
    opt(("--follow", "-f"), "follow", help="keep following the log"),
    opt(("--tail",), "tail", True, "N", "only the last N lines"),
    HELP,
)
PS = (opt(("--all", "-a"), "all", help="include stopped containers"), FORMAT, HELP)
SIF = (opt(("--force", "-F"), "force", help="replace an existing SIF file"), HELP)
ADMIN = (
    opt(("--older-than",), "older_than", True, "SECONDS", "stopped for longer than this"),
    opt(("--dry-run",), "dry_run", help="only say what would be reclaimed"),
    FORMAT,
    HELP,
)


def seconds(value: object, option: str) -> str:
    text = str(value)
    if not text.isdigit():
        raise UsageError(f"{option} takes a whole number of seconds")
    return text
