"""Run code with the caller's own privileges.

Everything a wrapper reads from or writes to the caller's files (a build
context, ``cp`` in either direction, a SIF) happens in a child process that
has dropped to the caller's UID, GID and groups first: root never opens a
path the student chose.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import BinaryIO

from ie_common.errors import IeError, Refused, UsageError
from ie_common.identity import Caller

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


def user_env(caller: Caller) -> dict[str, str]:
    return {
        "HOME": caller.home,
        "USER": caller.name,
        "LOGNAME": caller.name,
        "PATH": SAFE_PATH,
        "LANG": "C.UTF-8",
    }


def drop_privileges(caller: Caller) -> None:
    os.setgroups(list(caller.groups))
    os.setgid(caller.gid)
    os.setuid(caller.uid)
    if os.getuid() != caller.uid or os.geteuid() != caller.uid:
        raise OSError("could not drop privileges")
    os.umask(0o022)


def as_user(caller: Caller, fn: Callable[[], None]) -> None:
    """Run ``fn`` in a child process with the caller's privileges.

    An :class:`IeError` raised in the child comes back to the parent
    (message and class name through a pipe); any other failure is reported
    as the child's exit status.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        status = 0
        try:
            drop_privileges(caller)
            fn()
        except IeError as exc:
            os.write(write_fd, f"{type(exc).__name__}\n{exc.message}\n{exc.hint or ''}".encode())
            status = 1
        except OSError as exc:
            report = f"UsageError\n{exc.strerror or exc}: {exc.filename or ''}\n"
            os.write(write_fd, report.encode())
            status = 1
        except BaseException:
            status = 2
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        report = fh.read().decode(errors="replace")
    _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    if code == 0:
        return
    if report:
        kind, _, rest = report.partition("\n")
        message, _, hint = rest.partition("\n")
        cls = {"Refused": Refused, "UsageError": UsageError}.get(kind, IeError)
        raise cls(message, hint or None)
    raise IeError(f"a step run as {caller.name} failed (status {code})")


def run_as_user(
    caller: Caller,
    argv: list[str],
    cwd: str | None = None,
    stdout: int | BinaryIO | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a program as the caller (argv list, clean environment)."""
    return subprocess.run(  # noqa: S603 - argv list built by the wrapper
        argv,
        user=caller.uid,
        group=caller.gid,
        extra_groups=list(caller.groups),
        env=user_env(caller),
        cwd=cwd or caller.home,
        stdout=stdout,
        stderr=subprocess.PIPE,
        check=False,
        umask=0o022,
    )


def _check_inside(path: str, root: str) -> None:
    try:
        PurePosixPath(path).relative_to(root)
    except ValueError as exc:
        raise Refused(
            f"{path} is outside your home directory {root}",
            "only directories under your own home can be used",
        ) from exc


def resolve_in_home(caller: Caller, path: str, cwd: str) -> str:
    """The real path of ``path`` as the caller sees it, which must be in their home.

    Resolved in a child with the caller's privileges (so a directory the
    caller cannot enter cannot be probed) and required to exist.
    """
    read_fd, write_fd = os.pipe()

    def resolve() -> None:
        real = os.path.realpath(os.path.join(cwd, path))
        home = os.path.realpath(caller.home)
        if not os.path.exists(real):
            raise UsageError(f"{path} does not exist")
        _check_inside(real, home)
        if not os.access(real, os.R_OK | os.X_OK if os.path.isdir(real) else os.R_OK):
            raise Refused(f"you cannot read {path}")
        os.write(write_fd, real.encode())

    try:
        as_user(caller, resolve)
    finally:
        os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        return fh.read().decode()


def tar_from_user(caller: Caller, source: str, arcname: str, cwd: str) -> bytes:
    """A tar archive of ``source`` (file or directory), read as the caller."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        status = 0
        try:
            drop_privileges(caller)
            with os.fdopen(write_fd, "wb") as out, tarfile.open(fileobj=out, mode="w|") as tar:
                tar.add(os.path.join(cwd, source), arcname=arcname, recursive=True)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise UsageError(
            f"cannot read {source}", "check that it exists and that you can read all of it"
        )
    return data


def extract_safely(data: bytes, dest: str, rename_to: str | None = None) -> None:
    """Extract a tar into ``dest`` with tarfile's ``data`` filter.

    The filter refuses absolute names, ``..``, links leaving ``dest`` and
    device files, and drops set-id bits and ownership. ``rename_to``
    replaces the archive's top-level name.
    """
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        members = tar.getmembers()
        if rename_to is not None:
            for member in members:
                parts = PurePosixPath(member.name).parts
                if parts:
                    member.name = str(PurePosixPath(rename_to, *parts[1:]))
        tar.extractall(dest, members=members, filter="data")
