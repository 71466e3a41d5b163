"""Logging a student in: su on a terminal, the agent it starts, the socket
only that agent may use. A stand-in su (its password is "right") starts the
real agent program, whose commands are stand-ins too."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from ie_console import frames, session

SRC = Path(__file__).resolve().parents[3] / "src"
FAKE_SU = """#!{python}
import os, sys
# su -s /bin/sh -c COMMAND -- USER, as session.start runs it
assert sys.argv[1:3] == ["-s", "/bin/sh"] and sys.argv[3] == "-c" and sys.argv[5] == "--"
sys.stdout.write("Password: ")
sys.stdout.flush()
if sys.stdin.readline() != "right\\n":
    sys.stdout.write("\\nsu: Authentication failure\\n")
    sys.exit(1)
os.execv("/bin/sh", ["/bin/sh", "-c", sys.argv[4]])
"""
AGENT = """#!{python}
import sys
sys.path.insert(0, {src!r})
from ie_console import agent
agent.PROGRAMS = {{
    "ie-podman": [
        "/bin/sh", "-c",
        'if [ "$1" = build ]; then cat "$5/Containerfile"; else echo podman "$@"; fi', "sh",
    ],
    "squeue": ["/bin/sh", "-c", "echo $$"],
}}
sys.exit(agent.main())
"""


@pytest.fixture
def programs(tmp_path):
    su, agent = tmp_path / "su", tmp_path / "ie-console-agent"
    su.write_text(FAKE_SU.format(python=sys.executable))
    agent.write_text(AGENT.format(python=sys.executable, src=str(SRC)))
    su.chmod(0o755)
    agent.chmod(0o755)
    return {"su": str(su), "agent": str(agent)}


def login(programs, password="right", user="student1", **kw):
    return session.start(user, password, os.getuid(), timeout=10, **programs, **kw)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_right_password_gives_an_agent_that_runs_commands(programs):
    agent = login(programs)
    try:
        assert agent.run(["ie-podman", "ps"]) == session.Result(0, "podman ps\n", "")
        with pytest.raises(session.AgentError, match="is not one of"):
            agent.run(["rm", "-rf", "/"])
        assert agent.run(["ie-podman", "images"]).stdout == "podman images\n"  # still there
    finally:
        agent.close()


def test_closing_the_session_ends_the_agent(programs):
    agent = login(programs)
    assert int(agent.run(["squeue"]).stdout) > 0
    agent.close()
    assert not agent.alive
    deadline = time.monotonic() + 5
    while not gone(agent.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(agent.pid)
    with pytest.raises(session.SessionEnded):
        agent.run(["ie-podman", "ps"])


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("student1", "wrong"),
        ("student1", ""),
        ("student1", "right\nright"),
        ("-student1", "right"),
        ("student1 root", "right"),
        ("Student1", "right"),
    ],
)
def test_a_wrong_password_or_name_gives_nothing(programs, user, password):
    before = set(os.listdir("/proc"))
    with pytest.raises(session.LoginFailed, match="wrong login name or password"):
        login(programs, password=password, user=user)
    time.sleep(0.1)
    left = {p for p in set(os.listdir("/proc")) - before if p.isdigit()}
    assert not [p for p in left if programs["su"].encode() in cmdline(p)]  # su is reaped


def cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture(params=["SIG_DFL", "SIG_IGN"])
def hangup(request):
    """The server's SIGHUP: as usual, or ignored (nohup), which exec would pass on."""
    before = signal.signal(signal.SIGHUP, getattr(signal, request.param))
    yield request.param
    signal.signal(signal.SIGHUP, before)


def test_a_login_that_hangs_times_out(programs, tmp_path, hangup):
    stuck = tmp_path / "stuck-su"
    stuck.write_text("#!/bin/sh\nsleep 30\n")
    stuck.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(session.LoginFailed, match="in time"):
        session.start(
            "student1", "right", os.getuid(), su=str(stuck), agent=programs["agent"], timeout=1
        )
    assert time.monotonic() - started < 5


def connect_and_send(name: str, token: str) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect("\0ie-console-" + name)
    frames.send(sock, {"hello": token})
    time.sleep(0.5)
    sock.close()


def as_nobody(fn, *args) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534)
            os.setuid(65534)
            fn(*args)
        finally:
            os._exit(0)
    return pid


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_only_the_students_uid_with_the_token_is_accepted():
    name, token = "c" * 32, "d" * 64
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0ie-console-" + name)
    listener.listen(4)
    try:
        other = as_nobody(connect_and_send, name, token)  # the right token, another user
        os.waitpid(other, 0)
        wrong = os.fork()
        if wrong == 0:
            connect_and_send(name, "e" * 64)  # the right user, a wrong token
            os._exit(0)
        os.waitpid(wrong, 0)
        right = os.fork()
        if right == 0:
            connect_and_send(name, token)
            os._exit(0)
        conn = session._accept(listener, os.getuid(), token, time.monotonic() + 5)
        os.waitpid(right, 0)
        creds = session._peer_uid(conn)
        assert creds == os.getuid()
        conn.close()
        # only another user comes now: nothing is accepted
        os.waitpid(as_nobody(connect_and_send, name, token), 0)
        with pytest.raises(session.LoginFailed):
            session._accept(listener, os.getuid(), token, time.monotonic() + 1)
    finally:
        listener.close()


def test_a_build_context_goes_to_the_agent_as_a_descriptor(programs, tmp_path):
    import io
    import tarfile

    path = tmp_path / "ctx.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("Containerfile")
        info.size = 13
        tar.addfile(info, io.BytesIO(b"FROM scratch\n"))
    agent = login(programs)
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            assert agent.build("web:1", fd) == session.Result(0, "FROM scratch\n", "")
        finally:
            os.close(fd)
        with pytest.raises(session.AgentError, match="image name"):
            agent.build("--all", os.open(os.devnull, os.O_RDONLY))
    finally:
        agent.close()


def test_requests_from_many_threads_at_once_each_get_their_own_answer(programs, in_parallel):
    agent = login(programs)
    try:
        answers = in_parallel(lambda i: agent.run(["ie-podman", "ps", str(i)]).stdout, 12)
        assert sorted(answers) == sorted(f"podman ps {i}\n" for i in range(12))
    finally:
        agent.close()
