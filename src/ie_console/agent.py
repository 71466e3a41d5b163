"""ie-console-agent: the console's hands for one logged-in student.

The console starts it through ``su STUDENT`` with the password the student
gave at login (:mod:`ie_console.session`), so it runs as that student and
nobody else, for as long as the console keeps its terminal open.

1. It turns its terminal's echo off and prints :data:`READY`.
2. The console writes its socket's name and a one-time token on that
   terminal (never on a command line, which every user can read).
3. The agent connects to the console's socket and sends the token; the
   console also checks the agent's UID on the socket (SO_PEERCRED).
4. It answers requests until the console closes the connection.

Requests (:mod:`ie_console.frames` messages):

- ``{"run": [PROGRAM, ARG...], "lang": LANG, "input": TEXT}``: PROGRAM is
  one of :data:`PROGRAMS`, run as a student runs it at a shell (the wrappers
  through ``sudo -n``), in the home directory, with a clean environment; a
  descriptor sent with the request is its standard input instead of
  ``input``. The answer: ``{"rc": N, "stdout": TEXT, "stderr": TEXT}``.
- ``{"open": PATH}``: a regular file under the home directory, opened
  without following any link; the answer ``{"size": N}`` comes with its
  descriptor (a SIF to download).
- ``{"overview": true}``: the admins' overview (:mod:`ie_console.overview`),
  opened without following a link and only if root owns it; its mode lets
  only the admins' group read it. The answer is ``open``'s.
- ``{"build": TAG, "lang": LANG}`` with a descriptor of a tar archive (an
  uploaded build context): unpacked into a new directory of the student's
  under the home with tarfile's ``data`` filter (no absolute path, nothing
  outside the directory, no link out, no device, no set-ID bit) and within
  :data:`MAX_CONTEXT` bytes and :data:`MAX_MEMBERS` entries, then
  ``ie-podman build --tag TAG -- DIR``; the directory is removed after.
  The answer is ``run``'s.

Anything else is answered ``{"error": ...}`` and runs nothing.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import termios

from ie_console import frames
from ie_console.forms import IMAGE

READY = "IE-CONSOLE-AGENT READY"
# What the console may run for a student: the same commands as at a shell.
PROGRAMS: dict[str, list[str]] = {
    "ie-podman": ["/usr/bin/sudo", "-n", "/usr/local/bin/ie-podman"],
    "ie-virsh": ["/usr/bin/sudo", "-n", "/usr/local/bin/ie-virsh"],
    "stemplates": ["/usr/local/bin/stemplates"],
    "squeue": ["/usr/bin/squeue"],
    "sacct": ["/usr/bin/sacct"],
    "sbatch": ["/usr/bin/sbatch"],
    "scancel": ["/usr/bin/scancel"],
}
LANGS = frozenset({"C.UTF-8", "en_US.UTF-8", "ja_JP.UTF-8"})
PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_ARGS = 256
MAX_ARG = 4096
TIMEOUT = 900  # an image build may take minutes
# What a command prints back is cut here (the frame limit, less room for stderr).
MAX_OUTPUT = frames.MAX_FRAME // 2 - 4096
HANDSHAKE = re.compile(r"([0-9a-f]{32}) ([0-9a-f]{64})")
# An uploaded build context: at most this much unpacked, in so many entries.
MAX_CONTEXT = 256 * 1024 * 1024
MAX_MEMBERS = 10000


class Refused(Exception):
    """A request the agent does not run."""


def command(request: dict) -> list[str]:
    """The argv a ``run`` request stands for, or :class:`Refused`."""
    argv = request.get("run")
    if not isinstance(argv, list) or not argv or len(argv) > MAX_ARGS:
        raise Refused("run takes a list: a program and its arguments")
    if not all(isinstance(a, str) and "\0" not in a and len(a) <= MAX_ARG for a in argv):
        raise Refused("every argument must be text without NUL")
    if argv[0] not in PROGRAMS:
        raise Refused(f"{argv[0]!r} is not one of {', '.join(sorted(PROGRAMS))}")
    return [*PROGRAMS[argv[0]], *argv[1:]]


def environment(request: dict, home: str, user: str) -> dict[str, str]:
    lang = request.get("lang", "C.UTF-8")
    if lang not in LANGS:
        raise Refused(f"lang must be one of {', '.join(sorted(LANGS))}")
    return {"PATH": PATH, "HOME": home, "USER": user, "LOGNAME": user, "LANG": lang}


def _cut(data: bytes) -> str:
    text = data[:MAX_OUTPUT].decode(errors="replace")
    return text + ("\n[...]\n" if len(data) > MAX_OUTPUT else "")


def run(request: dict, fds: list[int], home: str, user: str) -> dict:
    argv = command(request)
    env = environment(request, home, user)
    text = request.get("input")
    if text is not None and (not isinstance(text, str) or fds):
        raise Refused("input is text, and not with a descriptor")
    done = subprocess.run(  # noqa: S603 - argv[0] is from PROGRAMS, the rest are arguments
        argv,
        stdin=fds[0] if fds else (None if text is not None else subprocess.DEVNULL),
        input=text.encode() if text is not None else None,
        capture_output=True,
        cwd=home,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    return {"rc": done.returncode, "stdout": _cut(done.stdout), "stderr": _cut(done.stderr)}


def open_in_home(home_fd: int, path: object) -> tuple[int, int]:
    """A regular file under the home directory, each component opened
    without following links: (descriptor, size)."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\0" in path:
        raise Refused("open takes a path relative to the home directory")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise Refused("the path must name its directories plainly (no '..', '.' or '//')")
    fd = os.dup(home_fd)
    try:
        for part in parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        leaf = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError as exc:
        raise Refused(f"{path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    info = os.fstat(leaf)
    if not stat.S_ISREG(info.st_mode):
        os.close(leaf)
        raise Refused(f"{path}: not a regular file")
    return leaf, info.st_size


def open_overview(path: str | None = None) -> tuple[int, int]:
    """The overview's snapshot, if this account may read it: (descriptor, size)."""
    if path is None:
        # imported here: the collector's imports are not every login's
        from ie_console.overview import PATH as path
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise Refused(f"the overview: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != 0:
        os.close(fd)
        raise Refused("the overview is not a file of root's")
    return fd, info.st_size


def unpack(archive_fd: int, into: str) -> None:
    """A tar archive (its descriptor) into the empty directory ``into``."""
    with os.fdopen(os.dup(archive_fd), "rb") as raw:
        try:
            with tarfile.open(fileobj=raw, mode="r:*") as tar:
                members, total = [], 0
                for member in tar:
                    members.append(member)
                    total += max(member.size, 0)
                    if len(members) > MAX_MEMBERS or total > MAX_CONTEXT:
                        raise Refused(
                            f"the build context is over {MAX_CONTEXT // 2**20} MiB "
                            f"or {MAX_MEMBERS} files"
                        )
                tar.extractall(into, members=members, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise Refused(
                f"the build context is not a tar archive this can unpack: {exc}"
            ) from None


def build(request: dict, fds: list[int], home: str, user: str) -> dict:
    tag = request.get("build")
    if not isinstance(tag, str) or not IMAGE.fullmatch(tag):
        raise Refused("build takes an image name, like web or web:1.0")
    if len(fds) != 1:
        raise Refused("build takes the context archive as a descriptor")
    where = tempfile.mkdtemp(prefix=".ie-console-build-", dir=home)
    try:
        unpack(fds[0], where)
        return run(
            {
                "run": ["ie-podman", "build", "--tag", tag, "--", where],
                "lang": request.get("lang", "C.UTF-8"),
            },
            [],
            home,
            user,
        )
    finally:
        shutil.rmtree(where, ignore_errors=True)


def answer(request: dict, fds: list[int], home_fd: int, home: str, user: str):
    """(reply, descriptors to send with it)."""
    if "run" in request:
        return run(request, fds, home, user), []
    if "open" in request:
        fd, size = open_in_home(home_fd, request["open"])
        return {"size": size}, [fd]
    if "build" in request:
        return build(request, fds, home, user), []
    if request.get("overview") is True:
        fd, size = open_overview()
        return {"size": size}, [fd]
    raise Refused("a request is run, open, build or overview")


def serve(sock: socket.socket, home: str, user: str) -> None:
    home_fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while True:
            try:
                request, fds = frames.receive(sock)
            except frames.FrameError:
                return  # the console closed the session
            try:
                reply, out = answer(request, fds, home_fd, home, user)
            except Refused as exc:
                reply, out = {"error": str(exc)}, []
            except subprocess.TimeoutExpired:
                reply, out = {"error": f"no answer within {TIMEOUT} s"}, []
            except OSError as exc:  # a program missing on this host, say
                reply, out = {"error": f"{request.get('run', ['?'])[0]}: {exc.strerror}"}, []
            finally:
                for fd in fds:
                    os.close(fd)
            try:
                frames.send(sock, reply, out)
            finally:
                for fd in out:
                    os.close(fd)
    finally:
        os.close(home_fd)


def handshake(terminal_in, terminal_out) -> tuple[str, str]:
    """Echo off, READY, then the console's socket name and token."""
    if os.isatty(terminal_in.fileno()):
        attrs = termios.tcgetattr(terminal_in.fileno())
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(terminal_in.fileno(), termios.TCSANOW, attrs)
    terminal_out.write(READY + "\n")
    terminal_out.flush()
    line = terminal_in.readline().strip()
    found = HANDSHAKE.fullmatch(line)
    if not found:
        raise SystemExit("ie-console-agent: no session from the console")
    return found.group(1), found.group(2)


def main() -> int:
    me = pwd.getpwuid(os.getuid())
    name, token = handshake(sys.stdin, sys.stdout)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect("\0ie-console-" + name)
    frames.send(sock, {"hello": token})
    serve(sock, me.pw_dir, me.pw_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
