"""tools/harness/connection_plugins/podman.py: Podman's connection with
pipelining. The module must reach the container on stdin (podman exec -i)
and every other command must run as before (no -i)."""

from __future__ import annotations

import importlib.util
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
    conn.user = None
    conn.calls = []

    def fake_podman(cmd, cmd_args=None, in_data=None, use_container_id=True):
        conn.calls.append((cmd, cmd_args, in_data))
        return 0, b"out", b""

    conn._podman = fake_podman
    return conn


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
