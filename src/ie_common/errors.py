"""Errors the ie-* wrappers report, each with its documented exit status."""

from __future__ import annotations

import sys

from ie_common.i18n import _

# Exit statuses (documented in each wrapper's --help and the student guide).
EXIT_OK = 0
EXIT_TOOL = 1  # the wrapped tool (Podman, libvirt) failed; its message is shown
EXIT_USAGE = 2  # the command line is malformed
EXIT_REFUSED = 3  # the command or an option is not allowed by the wrapper
EXIT_NOT_FOUND = 4  # no such object (container, image, domain) of yours
EXIT_QUOTA = 5  # a per-user limit would be exceeded
EXIT_NO_ADDRESS = 6  # the department network has no free address (ie-podman)
EXIT_SETUP = 7  # not run through sudo, or the wrapper's config is broken


class IeError(Exception):
    """An error with a message for the student and an exit status."""

    exit_status = EXIT_TOOL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(IeError):
    exit_status = EXIT_USAGE


class Refused(IeError):
    exit_status = EXIT_REFUSED


class NotFound(IeError):
    exit_status = EXIT_NOT_FOUND


class QuotaExceeded(IeError):
    exit_status = EXIT_QUOTA


class NoAddress(IeError):
    exit_status = EXIT_NO_ADDRESS


class SetupError(IeError):
    exit_status = EXIT_SETUP


class ToolFailed(IeError):
    exit_status = EXIT_TOOL


def hint_for(program: str, exc: IeError, command: str) -> str:
    """The error's own hint, or where the right form is shown: every refusal
    says what to do instead (issue 25)."""
    if exc.hint:
        return exc.hint
    if isinstance(exc, UsageError | Refused):
        where = f"sudo {program} {command} --help" if command else f"sudo {program} --help"
        return _("{where} shows what it takes", where=where)
    return _("sudo {program} --help lists the commands and the exit statuses", program=program)


def report(program: str, exc: IeError, command: str) -> None:
    """The error and its hint on standard error, as both wrappers print them."""
    print(_("{program}: error: {message}", program=program, message=exc.message), file=sys.stderr)
    hint = hint_for(program, exc, command)
    print(_("{program}: hint: {hint}", program=program, hint=hint), file=sys.stderr)
