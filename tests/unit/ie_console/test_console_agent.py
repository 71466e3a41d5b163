"""The agent's requests, served over a socket pair as the console sends them."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from ie_console import agent, frames


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A connected agent serving ``home`` (tmp_path/home) in a thread."""
    monkeypatch.setattr(
        agent,
        "PROGRAMS",
        {"ie-podman": ["/bin/echo", "podman"], "squeue": ["/bin/cat"], "sbatch": ["/bin/sh", "-c"]},
    )
    home = tmp_path / "home"
    home.mkdir()
    console, side = socket.socketpair()
    thread = threading.Thread(target=agent.serve, args=(side, str(home), "student1"))
    thread.start()

    def ask(request, fds=None):
        frames.send(console, request, fds)
        return frames.receive(console)

    yield home, ask
    console.close()
    thread.join(5)
    assert not thread.is_alive()  # closing the connection ends the agent
    side.close()


def test_a_program_runs_with_its_arguments_in_the_home(served):
    home, ask = served
    reply, fds = ask({"run": ["ie-podman", "ps", "--format", "json"]})
    assert reply == {"rc": 0, "stdout": "podman ps --format json\n", "stderr": ""} and fds == []
    reply, _ = ask({"run": ["sbatch", "pwd; echo $LANG; env | sort | cut -d= -f1 | xargs"]})
    lines = reply["stdout"].splitlines()
    assert lines[0] == str(home) and lines[1] == "C.UTF-8"
    assert lines[2].split() == ["HOME", "LANG", "LOGNAME", "PATH", "PWD", "USER"]  # nothing else


def test_the_language_is_one_of_the_sites(served):
    _, ask = served
    reply, _ = ask({"run": ["sbatch", "echo $LANG"], "lang": "ja_JP.UTF-8"})
    assert reply["stdout"] == "ja_JP.UTF-8\n"
    reply, _ = ask({"run": ["sbatch", "echo $LANG"], "lang": "C.UTF-8; touch /tmp/x"})
    assert "lang must be one of" in reply["error"]


@pytest.mark.parametrize(
    "request_",
    [
        {"run": ["bash", "-c", "id"]},
        {"run": ["/usr/local/bin/ie-podman", "ps"]},
        {"run": "ie-podman ps"},
        {"run": []},
        {"run": ["ie-podman", 1]},
        {"run": ["ie-podman", "a\0b"]},
        {"run": ["ie-podman", "x" * 5000]},
        {"run": ["ie-podman"] + ["x"] * 300},
        {"run": ["ie-podman"], "input": 3},
        {"rm": "x"},
    ],
)
def test_anything_else_is_refused_and_runs_nothing(served, request_, tmp_path):
    _, ask = served
    reply, fds = ask(request_)
    assert set(reply) == {"error"} and fds == []
    # the agent still serves the next request
    assert ask({"run": ["ie-podman", "ps"]})[0]["rc"] == 0


def test_standard_input_is_text_or_a_descriptor(served, tmp_path):
    _, ask = served
    assert ask({"run": ["squeue"], "input": "typed\n"})[0]["stdout"] == "typed\n"
    upload = tmp_path / "upload"
    upload.write_bytes(b"#!/bin/sh\necho uploaded\n")
    fd = os.open(upload, os.O_RDONLY)
    try:
        reply, _ = ask({"run": ["squeue"]}, [fd])
    finally:
        os.close(fd)
    assert reply["stdout"] == "#!/bin/sh\necho uploaded\n"
    assert ask({"run": ["squeue"]})[0]["stdout"] == ""  # no input: /dev/null, never the agent's


def test_output_is_cut_at_the_limit(served, monkeypatch):
    _, ask = served
    monkeypatch.setattr(agent, "MAX_OUTPUT", 10)
    reply, _ = ask({"run": ["sbatch", "printf 0123456789abcdef"]})
    assert reply["stdout"] == "0123456789\n[...]\n"


def test_a_file_in_the_home_comes_as_a_descriptor(served):
    home, ask = served
    (home / "sifs").mkdir()
    (home / "sifs" / "web.sif").write_bytes(b"SIF" * 1000)
    reply, fds = ask({"open": "sifs/web.sif"})
    assert reply == {"size": 3000} and len(fds) == 1
    with os.fdopen(fds[0], "rb") as f:
        assert f.read() == b"SIF" * 1000


@pytest.mark.parametrize(
    "path",
    [
        "/etc/shadow",
        "../outside",
        "sifs/../../outside",
        "link",
        "linkdir/secret",
        "sifs",
        "",
        3,
        "sifs//web.sif",
        "./sifs/web.sif",
        "fifo",
        "missing",
    ],
)
def test_no_link_directory_or_path_out_of_the_home_is_opened(served, tmp_path, path):
    home, ask = served
    (home / "sifs").mkdir()
    (home / "sifs" / "web.sif").write_text("mine")
    (tmp_path / "outside").write_text("not the student's")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret").write_text("not the student's")
    os.symlink(tmp_path / "outside", home / "link")
    os.symlink(tmp_path / "elsewhere", home / "linkdir")
    os.mkfifo(home / "fifo")
    reply, fds = ask({"open": path})
    assert set(reply) == {"error"} and fds == [], reply


def test_the_handshake_reads_the_name_and_token_from_the_terminal(tmp_path):
    name, token = "a" * 32, "b" * 64
    (tmp_path / "in").write_text(f"{name} {token}\n")
    with open(tmp_path / "in") as given, open(tmp_path / "out", "w") as shown:
        assert agent.handshake(given, shown) == (name, token)
    assert (tmp_path / "out").read_text() == agent.READY + "\n"
    (tmp_path / "in").write_text(f"{name} {token} ; rm -rf ~\n")
    with (
        open(tmp_path / "in") as given,
        open(tmp_path / "out", "w") as shown,
        pytest.raises(SystemExit),
    ):
        agent.handshake(given, shown)


def archive(tmp_path, members) -> int:
    """A tar archive of ``members`` [(TarInfo, bytes or None)], as an open descriptor."""
    import io
    import tarfile

    path = tmp_path / "context.tar"
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return os.open(path, os.O_RDONLY)


def member(name, kind=None, data=None, link=""):
    import tarfile

    info = tarfile.TarInfo(name)
    info.type = kind or tarfile.REGTYPE
    info.linkname = link
    info.mode = 0o644
    return info, data


@pytest.fixture
def builder(served, monkeypatch, tmp_path):
    # ie-podman stands in: it shows the context it was given, and marks that it ran
    ran = tmp_path / "ran"
    script = f'touch {ran}; ls -A "$5"; cat "$5/Containerfile"'
    monkeypatch.setitem(agent.PROGRAMS, "ie-podman", ["/bin/sh", "-c", script, "sh"])
    home, ask = served

    def build(tag, members):
        fd = archive(tmp_path, members)
        try:
            return ask({"build": tag}, [fd])[0]
        finally:
            os.close(fd)

    return home, build, ran


def test_an_uploaded_context_is_built_then_removed(builder):
    home, build, ran = builder
    reply = build(
        "web:1.0",
        [
            member("Containerfile", data=b"FROM scratch\n"),
            member("app/main.py", data=b"print(1)\n"),
        ],
    )
    assert reply["rc"] == 0 and reply["stdout"] == "Containerfile\napp\nFROM scratch\n"
    assert ran.exists()
    assert [p.name for p in home.iterdir()] == []  # the unpacked context is gone


def test_an_absolute_name_lands_inside_the_context(builder):
    home, build, _ran = builder
    reply = build(
        "web",
        [member("/etc/cron.d/ie-x", data=b"x"), member("Containerfile", data=b"FROM scratch\n")],
    )
    assert reply["rc"] == 0 and reply["stdout"].splitlines()[:2] == ["Containerfile", "etc"]
    assert not os.path.exists("/etc/cron.d/ie-x")
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "kind", "link"),
    [
        ("../outside", "file", ""),
        ("a/../../outside", "file", ""),
        ("link", "symlink", "/etc/passwd"),
        ("up", "symlink", "../../outside"),
        ("hard", "hardlink", "../outside"),
        ("dev", "device", ""),
    ],
)
def test_a_context_that_reaches_out_is_refused_and_nothing_runs(
    builder, tmp_path, name, kind, link
):
    import tarfile

    home, build, ran = builder
    info, data = member(name, link=link, data=b"x" if kind == "file" else None)
    if kind == "symlink":
        info.type = tarfile.SYMTYPE
    elif kind == "hardlink":
        info.type = tarfile.LNKTYPE
    elif kind == "device":
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    reply = build("web", [(info, data), member("Containerfile", data=b"FROM scratch\n")])
    assert set(reply) == {"error"}, reply
    assert not ran.exists() and not (tmp_path / "outside").exists()
    assert [p.name for p in home.iterdir()] == []


def test_a_context_over_the_limits_is_refused(builder, monkeypatch):
    home, build, ran = builder
    monkeypatch.setattr(agent, "MAX_CONTEXT", 10)
    reply = build("web", [member("Containerfile", data=b"FROM scratch\n" * 2)])
    assert "over" in reply["error"] and not ran.exists()
    monkeypatch.setattr(agent, "MAX_CONTEXT", 10**6)
    monkeypatch.setattr(agent, "MAX_MEMBERS", 2)
    reply = build("web", [member(f"f{i}", data=b"") for i in range(3)])
    assert "over" in reply["error"] and not ran.exists()
    assert [p.name for p in home.iterdir()] == []


def test_build_takes_an_image_name_and_one_archive(builder, served):
    _home, build, ran = builder
    _, ask = served
    for tag in ("--all", "Web", "web; id", ""):
        assert "image name" in build(tag, [member("Containerfile", data=b"x")])["error"]
    assert "descriptor" in ask({"build": "web"})[0]["error"]
    assert not ran.exists()
