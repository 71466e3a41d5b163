"""The console's side of a student's agent (:mod:`ie_console.agent`).

:func:`start` logs a student in: it runs ``su`` on a terminal of its own,
answers su's password prompt with the password the student typed, and waits
for the agent that su starts as the student. The password goes to su (PAM,
so SSSD and the directory decide) and is not kept. The agent connects to a
socket that :func:`start` opened for it alone: the connection must come from
the student's UID (SO_PEERCRED) and carry the one-time token written on the
agent's terminal. A wrong password, an account that is not a student's, or
anything unexpected ends with :class:`LoginFailed` and no agent.

The :class:`Agent` lives as long as the session: :meth:`Agent.close` (logout,
expiry) hangs up its terminal and ends it.
"""

from __future__ import annotations

import hmac
import os
import pty
import re
import secrets
import select
import signal
import socket
import struct
import threading
import time
from typing import NamedTuple

from ie_console import frames
from ie_console.agent import READY
from ie_console.forms import LOGIN

SU = "/usr/bin/su"
AGENT = "/usr/local/bin/ie-console-agent"
PROMPT = re.compile(rb"(?:^|\n)[^\n]*[Pp]assword[^\n]*: ?$")
LOGIN_TIMEOUT = 20.0
RESET_SIGNALS = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGPIPE,
    signal.SIGXFSZ,
)


class LoginFailed(Exception):
    """The login did not give an agent; the message is safe to show."""


class Result(NamedTuple):
    rc: int
    stdout: str
    stderr: str


class AgentError(Exception):
    """The agent refused a request."""


class SessionEnded(AgentError):
    """The agent is gone: logout, expiry, or it ended."""


class Agent:
    """A logged-in student's agent: run their commands, open their files."""

    def __init__(self, user: str, pid: int, terminal: int, sock: socket.socket):
        self.user, self.pid, self._terminal, self._sock = user, pid, terminal, sock
        # one request at a time on the socket: the server's threads may serve
        # two pages of the same student at once
        self._lock = threading.Lock()

    def _ask(self, request: dict, fds: list[int] | None = None) -> tuple[dict, list[int]]:
        with self._lock:
            if self._terminal < 0:
                raise SessionEnded("the session has ended")
            try:
                frames.send(self._sock, request, fds)
                reply, got = frames.receive(self._sock)
            except (OSError, frames.FrameError) as exc:
                self._close_locked()
                raise SessionEnded(f"the session has ended ({exc})") from None
        if "error" in reply:
            for fd in got:
                os.close(fd)
            raise AgentError(str(reply["error"]))
        return reply, got

    def run(
        self,
        argv: list[str],
        lang: str = "C.UTF-8",
        input: str | None = None,
        stdin_fd: int | None = None,
    ) -> Result:
        request: dict = {"run": list(argv), "lang": lang}
        if input is not None:
            request["input"] = input
        reply, _ = self._ask(request, [stdin_fd] if stdin_fd is not None else None)
        return Result(int(reply["rc"]), str(reply["stdout"]), str(reply["stderr"]))

    def build(self, tag: str, archive_fd: int, lang: str = "C.UTF-8") -> Result:
        """``ie-podman build --tag TAG`` of the tar archive ``archive_fd``,
        unpacked by the agent, as the student, into their home."""
        reply, _ = self._ask({"build": tag, "lang": lang}, [archive_fd])
        return Result(int(reply["rc"]), str(reply["stdout"]), str(reply["stderr"]))

    def open(self, path: str) -> tuple[int, int]:
        """(descriptor, size) of a regular file under the student's home."""
        return self._file({"open": path})

    def overview(self) -> tuple[int, int]:
        """(descriptor, size) of the admins' overview, if this account may read it."""
        return self._file({"overview": True})

    def _file(self, request: dict) -> tuple[int, int]:
        reply, fds = self._ask(request)
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise AgentError("the agent sent no file")
        return fds[0], int(reply["size"])

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._terminal < 0:
            return
        self._sock.close()
        os.close(self._terminal)  # su and the agent get SIGHUP
        self._terminal = -1
        _reap(self.pid)

    @property
    def alive(self) -> bool:
        return self._terminal >= 0


def _reap(pid: int, wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)  # refused for su, which runs as root: it got SIGHUP
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError, PermissionError):
        pass


def _read_until(terminal: int, wanted: re.Pattern[bytes], deadline: float) -> bytes:
    seen = b""
    while not wanted.search(seen):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([terminal], [], [], left)[0]:
            raise LoginFailed("the login did not finish in time")
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: su ended
            chunk = b""
        if not chunk:
            raise LoginFailed("wrong login name or password")
        seen += chunk
    return seen


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def _accept(listener: socket.socket, uid: int, token: str, deadline: float) -> socket.socket:
    """The agent's connection: from ``uid``, with ``token``; others are dropped."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LoginFailed("the login did not finish in time")
        listener.settimeout(left)
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            raise LoginFailed("the login did not finish in time") from None
        conn.settimeout(max(deadline - time.monotonic(), 0.1))
        try:
            if _peer_uid(conn) != uid:
                raise frames.FrameError("another user")
            hello, fds = frames.receive(conn)
            for fd in fds:
                os.close(fd)
            if not hmac.compare_digest(str(hello.get("hello", "")), token):
                raise frames.FrameError("a wrong token")
        except (OSError, frames.FrameError):
            conn.close()
            continue
        conn.settimeout(None)
        return conn


def start(
    user: str,
    password: str,
    uid: int,
    *,
    su: str = SU,
    agent: str = AGENT,
    timeout: float = LOGIN_TIMEOUT,
) -> Agent:
    """Log ``user`` (whose UID is ``uid``, from NSS) in: their :class:`Agent`."""
    if not LOGIN.fullmatch(user):
        raise LoginFailed("wrong login name or password")
    if "\n" in password or "\r" in password or "\0" in password:
        raise LoginFailed("wrong login name or password")
    name, token = secrets.token_hex(16), secrets.token_hex(32)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0ie-console-" + name)
    listener.listen(4)
    deadline = time.monotonic() + timeout
    pid, terminal = pty.fork()
    if pid == 0:  # the child: su on the new terminal, in English for its prompt
        try:
            # Signals the server ignores (SIGHUP under nohup, Python's SIGPIPE)
            # would stay ignored across exec: su and the agent must die when
            # their terminal hangs up.
            for sig in RESET_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            os.execve(  # noqa: S606 - su, then the agent: fixed programs
                su,
                [su, "-s", "/bin/sh", "-c", "exec " + agent, "--", user],
                {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"},
            )
        finally:
            os._exit(127)
    try:
        _read_until(terminal, PROMPT, deadline)
        os.write(terminal, password.encode() + b"\n")
        _read_until(terminal, re.compile(re.escape(READY.encode())), deadline)
        os.write(terminal, f"{name} {token}\n".encode())
        conn = _accept(listener, uid, token, deadline)
    except BaseException:
        os.close(terminal)
        _reap(pid)
        raise
    finally:
        listener.close()
    return Agent(user, pid, terminal, conn)
