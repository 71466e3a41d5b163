"""Run code with the caller's own privileges.

Everything a wrapper reads from or writes to the caller's files (a build
context, ``cp`` in either direction, a SIF) happens in a child process that
has dropped to the caller's UID, GID and groups first: root never opens a
path the student chose.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from ie_common.errors import IeError, Refused, UsageError
from ie_common.i18n import _
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


CHUNK = 64 * 1024  # every stream passes through root in pieces of this size


@contextlib.contextmanager
def piped_as_user(
    caller: Caller, fn: Callable[[BinaryIO], None], child_reads: bool = False
) -> Iterator[BinaryIO]:
    """Run ``fn(pipe)`` in a child with the caller's privileges; yield the
    parent's end of the pipe (readable, or writable when ``child_reads``).

    An :class:`IeError` raised in the child comes back with its class and
    message; an ``OSError`` comes back as a usage error naming the file;
    anything else as the exit status. If the parent stops early (an error,
    a size cap), the child is killed.
    """
    read_fd, write_fd = os.pipe()
    report_r, report_w = os.pipe()
    child_end, parent_end = (read_fd, write_fd) if child_reads else (write_fd, read_fd)
    pid = os.fork()
    if pid == 0:  # child
        os.close(parent_end)
        os.close(report_r)
        status = 0
        try:
            drop_privileges(caller)
            with os.fdopen(child_end, "rb" if child_reads else "wb") as pipe:
                fn(pipe)
        except IeError as exc:
            os.write(report_w, f"{type(exc).__name__}\n{exc.message}\n{exc.hint or ''}".encode())
            status = 1
        except OSError as exc:
            report = f"UsageError\n{exc.strerror or exc}: {exc.filename or ''}\n"
            os.write(report_w, report.encode())
            status = 1
        except BaseException:
            status = 2
        finally:
            os._exit(status)
    os.close(child_end)
    os.close(report_w)
    finished = False
    try:
        with os.fdopen(parent_end, "wb" if child_reads else "rb") as pipe:
            yield pipe
        finished = True
    finally:
        if not finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(report_r)
    _reap(caller, pid, report_r)


def _reap(caller: Caller, pid: int, report_r: int) -> None:
    with os.fdopen(report_r, "rb") as fh:
        report = fh.read().decode(errors="replace")
    _pid, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    if code == 0:
        return
    if report:
        kind, _sep, rest = report.partition("\n")
        message, _sep, hint = rest.partition("\n")
        cls = {"Refused": Refused, "UsageError": UsageError}.get(kind, IeError)
        raise cls(message, hint or None)
    raise IeError(_("a step run as {name} failed (status {code})", name=caller.name, code=code))


def output_as_user(caller: Caller, produce: Callable[[BinaryIO], None]) -> bytes:
    """What ``produce(out)``, run with the caller's privileges, writes (small
    outputs only: a resolved path, an XML file of 1 MB at most)."""
    with piped_as_user(caller, produce) as pipe:
        data = pipe.read()
    return data


class Capped(io.RawIOBase):
    """A reader that refuses to pass more than ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, what: str) -> None:
        self.raw, self.limit, self.what, self.seen = raw, limit, what, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), CHUNK))
        self.seen += len(data)
        if self.seen > self.limit:
            raise Refused(
                _(
                    "{what} is larger than {limit} MiB, the limit on this server",
                    what=self.what,
                    limit=self.limit // 2**20,
                ),
                _("copy less at a time, or leave large data in your home and mount it with -v"),
            )
        buffer[: len(data)] = data
        return len(data)


def copy_stream(source: BinaryIO, sink: BinaryIO) -> int:
    """Copy in pieces of :data:`CHUNK` bytes; the number of bytes copied."""
    total = 0
    while chunk := source.read(CHUNK):
        sink.write(chunk)
        total += len(chunk)
    return total


def as_user(caller: Caller, fn: Callable[[], None]) -> None:
    """Run ``fn`` in a child process with the caller's privileges."""
    output_as_user(caller, lambda _out: fn())


def run_as_user(
    caller: Caller,
    argv: list[str],
    cwd: str | None = None,
    stdout: int | BinaryIO | None = None,
    max_file_bytes: int = 0,
) -> subprocess.CompletedProcess[bytes]:
    """Run a program as the caller (argv list, clean environment).

    ``max_file_bytes`` (0: none) caps every file the program writes
    (``RLIMIT_FSIZE``): a write past it fails with EFBIG, or the program
    gets SIGXFSZ."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run(  # noqa: S603 - argv list; single-threaded wrapper
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
        preexec_fn=limit if max_file_bytes else None,
    )


def _check_inside(path: str, root: str) -> None:
    try:
        PurePosixPath(path).relative_to(root)
    except ValueError as exc:
        raise Refused(
            _("{path} is outside your home directory {root}", path=path, root=root),
            _("only directories under your own home can be used"),
        ) from exc


def check_inside_home(caller: Caller, path: str) -> None:
    """``path`` (already resolved) lies in the caller's home."""
    _check_inside(path, os.path.realpath(caller.home))


def current_directory() -> str:
    """The directory the wrapper was started in, or "" where it has been
    deleted (then only absolute paths can be named: :func:`in_directory`)."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return ""


def in_directory(cwd: str, path: str) -> str:
    """``path`` as named from ``cwd`` (:func:`current_directory`)."""
    if os.path.isabs(path):
        return path
    if not cwd:
        raise UsageError(
            _("{path}: the directory you are in no longer exists", path=path),
            _("cd to a directory that exists (cd ~), or give the full path"),
        )
    return os.path.join(cwd, path)


def resolve_in_home(caller: Caller, path: str, cwd: str) -> str:
    """The real path of ``path`` as the caller sees it, which must be in their home.

    Resolved in a child with the caller's privileges (so a directory the
    caller cannot enter cannot be probed) and required to exist.
    """

    def resolve(out: BinaryIO) -> None:
        real = os.path.realpath(in_directory(cwd, path))
        home = os.path.realpath(caller.home)
        if not os.path.exists(real):
            raise UsageError(_("{path} does not exist", path=path))
        _check_inside(real, home)
        if not os.access(real, os.R_OK | os.X_OK if os.path.isdir(real) else os.R_OK):
            raise Refused(
                _("you cannot read {path}", path=path),
                _("give yourself read access: chmod u+r {path}", path=path),
            )
        out.write(real.encode())

    return output_as_user(caller, resolve).decode()


def tar_from_user(
    caller: Caller, source: str, arcname: str, cwd: str
) -> contextlib.AbstractContextManager[BinaryIO]:
    """A stream of a tar archive of ``source`` (file or directory), read as the caller."""
    # Here, not at the top: ps and run never use it, and it costs them
    # start-up time. Imported before the child drops to the caller, who
    # may not be able to read the interpreter's library.
    import tarfile

    def archive(out: BinaryIO) -> None:
        with tarfile.open(fileobj=out, mode="w|") as tar:
            tar.add(in_directory(cwd, source), arcname=arcname, recursive=True)

    return piped_as_user(caller, archive)


def unpacker(dest: str, rename_to: str | None = None) -> Callable[[BinaryIO], None]:
    """A function that extracts a tar stream into ``dest``, one member at a
    time, with tarfile's ``data`` filter.

    The filter refuses absolute names, ``..``, links leaving ``dest`` and
    device files, and drops set-id bits and ownership. ``rename_to``
    replaces the archive's top-level name. Nothing is held in memory but
    the member being written.

    tarfile is loaded here, not at the top (ps and run never use it, and it
    costs them start-up time), and in this process: the function may run in
    a child that has dropped to the caller, who may not be able to read the
    interpreter's library (piped_as_user).
    """
    import tarfile

    def unpack(stream: BinaryIO) -> None:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if rename_to is not None:
                    parts = PurePosixPath(member.name).parts
                    if parts:
                        member.name = str(PurePosixPath(rename_to, *parts[1:]))
                tar.extract(member, dest, filter="data")

    return unpack


def extract_safely(stream: BinaryIO, dest: str, rename_to: str | None = None) -> None:
    """Extract a tar stream into ``dest`` here and now (``unpacker``)."""
    unpacker(dest, rename_to)(stream)


def merge_into(staging: str, dest: str) -> None:
    """Move what ``staging`` holds into ``dest`` (as ``cp`` would have written
    it: into existing directories, over existing files), then remove
    ``staging``. Run as the caller, on the caller's own files."""
    for name in os.listdir(staging):
        src, dst = os.path.join(staging, name), os.path.join(dest, name)
        if (
            os.path.isdir(src)
            and not os.path.islink(src)
            and os.path.isdir(dst)
            and not os.path.islink(dst)
        ):
            merge_into(src, dst)
        else:
            if os.path.isdir(dst) and not os.path.islink(dst):
                raise UsageError(
                    _("{dst} is a directory; the copy has a file of that name", dst=dst)
                )
            os.replace(src, dst)
    os.rmdir(staging)


def open_dir_nofollow(path: str, root_fd: int | None = None) -> int:
    """An ``O_PATH`` descriptor of the directory ``path``, walked one component
    at a time without following any link (relative to ``root_fd`` if given).

    A name a student swapped for a link is refused, never followed: what the
    descriptor holds is the directory that was there, whatever happens to
    the path afterwards.
    """
    flags = os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
    parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".")]
    if ".." in parts:
        raise Refused(
            _("{path}: '..' is not allowed here", path=path), _("give the path without '..'")
        )
    fd = os.open("/", flags) if root_fd is None else os.dup(root_fd)
    try:
        for part in parts:
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                raise Refused(
                    _(
                        "{path} is not a plain directory (a link, or it changed): {strerror}",
                        path=path,
                        strerror=exc.strerror,
                    ),
                    _("give the directory itself, not a link to it"),
                ) from exc
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_dir_access(caller: Caller, fd: int, path: str, write: bool) -> None:
    """The caller (not root) can open the directory held by ``fd``, and write
    to it when ``write``; checked in a child with the caller's privileges."""

    def probe(_out: BinaryIO) -> None:
        os.close(os.open(".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd))
        if write and not os.access(".", os.W_OK, dir_fd=fd):
            raise Refused(
                _("you cannot write to {path}", path=path),
                _("mount it read-only: -v {path}:PATH:ro", path=path),
            )

    output_as_user(caller, probe)
