"""tools/harness/connection_plugins/podman.py: Podman's connection with
pipelining. The module must reach the container on stdin (podman exec -i)
and every other command must run as before (no -i). Commands and files go
through nsexec where it can (tests/unit/harness/test_nsexec.py), podman
exec and podman cp where it cannot."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def plugin():
    path = ROOT / "tools" / "harness" / "connection_plugins" / "podman.py"
    spec = importlib.util.spec_from_file_location("ie_test_podman_connection", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def connection(plugin):
    conn = plugin.Connection.__new__(plugin.Connection)
    conn._connected = True
    conn._container_id = "ctr1"
    conn.user = None
    conn.calls = []

    def fake_podman(cmd, cmd_args=None, in_data=None, use_container_id=True):
        conn.calls.append((cmd, cmd_args, in_data))
        return 0, b"out", b""

    conn._podman = fake_podman
    conn._nsexec = lambda argv, stdin=None: None  # nsexec cannot: podman exec
    return conn


class FakeProc:
    def __init__(self, rc=0, out=b"", err=b""):
        self.returncode, self.out, self.err, self.given = rc, out, err, None

    def communicate(self, data=None):
        self.given = data
        return self.out, self.err


@pytest.fixture
def nsexec_conn(connection):
    connection.ns_calls = []
    connection.procs = []

    def fake_nsexec(argv, stdin=None):
        connection.ns_calls.append((argv, stdin))
        proc = FakeProc(*connection.procs.pop(0)) if connection.procs else FakeProc(0, b"ns")
        connection.last = proc
        return proc

    connection._nsexec = fake_nsexec
    return connection


def test_pipelining_is_declared(plugin):
    assert plugin.Connection.has_pipelining is True
    assert "connection_pipelining" in plugin.DOCUMENTATION


def test_a_pipelined_module_goes_on_stdin(connection):
    cmd = "/bin/sh -c '/usr/bin/python3 && sleep 0'"
    rc, out, _ = connection.exec_command(cmd, in_data=b"module")
    assert (rc, out) == (0, b"out")
    argv = ["/bin/sh", "-c", "/usr/bin/python3 && sleep 0"]
    assert connection.calls == [(["exec", "-i"], argv, b"module")]


def test_other_commands_have_no_stdin(connection):
    connection.exec_command("/bin/sh -c 'echo ~ && sleep 0'")
    assert connection.calls == [(["exec"], ["/bin/sh", "-c", "echo ~ && sleep 0"], None)]


def test_the_remote_user_is_kept(connection):
    connection.user = "student1"
    connection.exec_command("id -un", in_data=b"")
    assert connection.calls == [(["exec", "-i", "--user", "student1"], ["id", "-un"], b"")]


def test_nsexec_runs_the_module_with_its_stdin(nsexec_conn):
    rc, out, _ = nsexec_conn.exec_command("/bin/sh -c 'python3'", in_data=b"module")
    assert (rc, out) == (0, b"ns") and nsexec_conn.last.given == b"module"
    ((argv, stdin),) = nsexec_conn.ns_calls
    assert argv == ["/bin/sh", "-c", "python3"] and stdin == subprocess.PIPE
    assert nsexec_conn.calls == []  # no podman exec
    nsexec_conn.exec_command("true")
    assert nsexec_conn.ns_calls[-1][1] == subprocess.DEVNULL


def test_files_go_in_and_out_through_nsexec(nsexec_conn, tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"payload")
    nsexec_conn.put_file(str(source), "/root/dest file")
    argv, stdin = nsexec_conn.ns_calls[0]
    assert argv == ["/bin/sh", "-c", 'cat > "$0"', "/root/dest file"]
    assert stdin.name == str(source).encode()  # streamed from the file
    nsexec_conn.procs.append((0, b"fetched"))
    nsexec_conn.fetch_file("/etc/x", str(tmp_path / "out"))
    assert nsexec_conn.ns_calls[1][0] == ["cat", "--", "/etc/x"]
    assert (tmp_path / "out").read_bytes() == b"fetched"


def test_a_failed_copy_is_an_error(nsexec_conn, tmp_path, plugin):
    (tmp_path / "src").write_bytes(b"x")
    nsexec_conn.procs.append((1, b"", b"No such file or directory"))
    with pytest.raises(plugin.AnsibleError, match="could not write /nope/x"):
        nsexec_conn.put_file(str(tmp_path / "src"), "/nope/x")
    nsexec_conn.procs.append((1, b"", b"No such file"))
    with pytest.raises(plugin.AnsibleError, match="could not read /nope"):
        nsexec_conn.fetch_file("/nope", str(tmp_path / "o"))


def test_a_remote_user_is_left_to_podman_exec(plugin):
    conn = plugin.Connection.__new__(plugin.Connection)
    conn.user = "student1"
    assert conn._nsexec(["id"]) is None
