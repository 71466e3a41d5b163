"""How ie-podman reads a command line and how it ends (issue 25): options in
both forms, values that never swallow the image or the next option, hints,
and exit statuses a script can tell from the container's."""

from __future__ import annotations

import contextlib
import io
import os
import pwd
import tarfile

import pytest
from fakepodman import FakePodman, make_app

from ie_common import userio
from ie_common.errors import (
    IeError,
    NoAddress,
    NotFound,
    QuotaExceeded,
    Refused,
    SetupError,
    ToolFailed,
    UsageError,
)
from ie_common.identity import Caller
from ie_podman import cli, config, ipam, options, policy

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))
BOB = Caller(uid=1002, gid=1002, name="bob", home="/home/bob", groups=(1002,))


def parse(*args):
    return policy.parse_options(list(args), options.RUN)


@pytest.fixture
def podman():
    fake = FakePodman()
    fake.add_image("img")
    return fake


@pytest.mark.parametrize(
    ("args", "values"),
    [
        (["--name=web", "img"], {"name": "web"}),
        (["--name", "web", "img"], {"name": "web"}),
        (
            ["-e", "A=1", "-eB=2", "--env=C=3", "--env", "D=4", "img"],
            {"env": ["A=1", "B=2", "C=3", "D=4"]},
        ),
        (["--memory=512m", "-m", "1g", "img"], None),  # given twice: refused below
        (["--ip", "img"], {"ip": True}),
        (["--ip", "10.9.0.11", "img"], {"ip": "10.9.0.11"}),
        (["--ip=10.9.0.11", "img"], {"ip": "10.9.0.11"}),
        (["--ip", "auto", "img"], {"ip": "auto"}),
        (["--gpu", "img"], {"gpu": True}),
        (["--gpu", "0", "img"], {"gpu": "0"}),
        (["--gpu=0,1", "img"], {"gpu": "0,1"}),
        (["--gpu", "all", "img"], {"gpu": "all"}),
        (["-itv/data:/d", "img"], {"interactive": True, "tty": True, "volume": ["/data:/d"]}),
    ],
)
def test_both_forms_and_the_image_is_never_taken_as_a_value(args, values):
    if values is None:
        with pytest.raises(UsageError, match="given twice"):
            parse(*args)
        return
    parsed = parse(*args)
    assert parsed.values == values
    assert parsed.positionals == ["img"]


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["--name", "--rm", "img"], "not the option --rm", "--name=--rm"),
        (["-e", "-d", "img"], "not the option -d", "-e=-d"),
        (["--name", "", "img"], "not an empty word", "leave --name out"),
        (["--name=", "img"], "not an empty word", "leave --name out"),
        (["--ip=img", "img"], "'img' is not a value it takes", "--ip=ADDRESS"),
        (["--gpu=first", "img"], "'first' is not a value it takes", "--gpu=all|N,..."),
        (["--ip", "--ip", "img"], "given twice", None),
        (["--name"], "needs a value", None),
    ],
)
def test_bad_values_say_what_was_wrong_and_what_to_write(args, message, hint):
    with pytest.raises(UsageError) as err:
        parse(*args)
    assert message in err.value.message
    if hint:
        assert hint in err.value.hint


@pytest.mark.parametrize(
    ("option", "instead"),
    [
        ("--gpus", "--gpu"),
        ("--network", "--ip"),
        ("-p", "--ip"),
        ("--publish", "--ip"),
        ("--mount", "-v DIR:PATH"),
        ("--env-file", "-e KEY=VALUE"),
    ],
)
def test_each_refusal_of_a_podman_option_names_what_to_use_instead(option, instead):
    with pytest.raises(Refused) as err:
        parse(option, "x", "img")
    assert instead in err.value.hint


def test_ip_address_asks_for_that_address_and_fails_cleanly_when_it_cannot(podman, tmp_path):
    alice = make_app(ALICE, podman, tmp_path)
    bob = make_app(BOB, podman, tmp_path)
    assert alice.cmd_run(["-d", "--ip", "10.9.0.12", "--name", "a", "img"]) == 0
    assert "--network=ie-dept:ip=10.9.0.12" in podman.calls[-2]
    leases = ipam.LeaseStore(tmp_path / "state")
    assert leases.snapshot()["10.9.0.12"]["container"] == "alice_a"
    before = (set(podman.containers), leases.snapshot())
    with pytest.raises(NoAddress, match="in use"):
        bob.cmd_run(["-d", "--ip", "10.9.0.12", "--name", "b", "img"])
    for outside in ("10.9.0.9", "10.9.0.255", "10.9.1.10", "10.9.0.0"):
        with pytest.raises(UsageError, match="not an address the department network hands out"):
            bob.cmd_run(["-d", "--ip", outside, "--name", "b", "img"])
    with pytest.raises(UsageError, match="not an IPv4 address"):
        bob.cmd_run(["-d", "--ip=300.1.1.1", "--name", "b", "img"])
    # nothing was created and no address changed hands
    assert (set(podman.containers), leases.snapshot()) == before
    assert bob.cmd_run(["-d", "--ip", "auto", "--name", "b", "img"]) == 0
    assert ipam.LeaseStore(tmp_path / "state").snapshot()["10.9.0.10"]["container"] == "bob_b"


def test_gpu_numbers_become_one_cdi_device_each(podman, tmp_path):
    app = make_app(ALICE, podman, tmp_path, gpu=True)
    app.cmd_run(["-d", "--gpu", "1,0,1", "--name", "g", "img"])
    assert [a for a in podman.calls[-2] if a.startswith("--device")] == [
        "--device=nvidia.com/gpu=0",
        "--device=nvidia.com/gpu=1",
    ]
    app.cmd_run(["-d", "--gpu", "--name", "all", "img"])
    assert "--device=nvidia.com/gpu=all" in podman.calls[-2]
    assert podman.containers["alice_all"]["State"]["Running"]


def test_gpu_on_a_host_without_one_is_refused_with_where_to_go(podman, tmp_path):
    with pytest.raises(Refused) as err:
        make_app(ALICE, podman, tmp_path).cmd_run(["--gpu", "0", "img"])
    assert "server with a GPU" in err.value.hint
    assert podman.containers == {}


@pytest.fixture
def as_alice(podman, tmp_path, monkeypatch):
    """cli.main as alice on the fake Podman, with the test's configuration."""
    cfg = make_app(ALICE, podman, tmp_path).cfg
    monkeypatch.setattr(config, "load", lambda path: cfg)
    monkeypatch.setattr(cli, "from_sudo", lambda env, min_uid: ALICE)
    monkeypatch.setattr(cli, "Podman", lambda path: podman)
    return podman


def test_run_and_exec_keep_125_for_their_own_errors_like_podman(as_alice, capsys):
    # ie-podman's own refusals: 125, never a status the container could have
    assert cli.main(["run", "--privileged", "img"]) == 125
    assert "not allowed" in capsys.readouterr().err
    assert cli.main(["run", "--name", "", "img"]) == 125
    assert cli.main(["exec", "nosuch", "true"]) == 125
    # the container's own status passes through
    as_alice.interactive = lambda argv: 3
    assert cli.main(["run", "--name", "x", "img", "sh", "-c", "exit 3"]) == 3
    assert cli.main(["exec", "x", "false"]) == 3
    # other commands keep the classes of the table in --help
    assert cli.main(["rm", "nosuch"]) == 4
    assert cli.main(["stop", "--time", "soon", "x"]) == 2
    assert cli.main(["ps", "--privileged"]) == 3


def test_the_help_documents_the_statuses():
    text = " ".join(cli.top_help(None).split())
    assert "125 when ie-podman or podman stopped before it ran" in text
    for status in range(1, 8):
        assert f" {status} " in text


def _context(text):
    """A build context as tar_from_user streams it: one Containerfile."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("Containerfile")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return contextlib.nullcontext(io.BytesIO(data.getvalue()))


@pytest.mark.parametrize(("podman_rc", "status"), [(0, 0), (1, 1), (3, 1), (125, 1)])
def test_a_failed_build_is_status_1_whatever_podman_returned(
    podman, tmp_path, monkeypatch, podman_rc, status
):
    app = make_app(ALICE, podman, tmp_path)
    monkeypatch.setattr(userio, "tar_from_user", lambda *a: _context(b"FROM img\nRUN false\n"))
    podman.interactive = lambda argv: podman_rc
    assert app.cmd_build(["--tag", "t", "."]) == status


def test_a_deleted_working_directory_is_a_usage_error_not_a_traceback(in_deleted_directory):
    assert userio.current_directory() == ""
    assert userio.in_directory("", "/home/alice/x") == "/home/alice/x"
    assert userio.in_directory("/home/alice", "x") == "/home/alice/x"
    with pytest.raises(UsageError) as err:
        userio.in_directory("", "x")
    assert "no longer exists" in err.value.message and "cd ~" in err.value.hint


def test_help_shows_this_servers_limits(podman, tmp_path, monkeypatch, capsys):
    cfg = make_app(ALICE, podman, tmp_path, max_memory_mib=8192, max_cpus=4).cfg
    monkeypatch.setattr(config, "load", lambda path: cfg)
    assert cli.main(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--ip [ADDRESS]" in out and "--gpu [all|N,...]" in out
    assert "On this server: 2 containers and 1 images per student" in out
    assert "--memory up to 8192 MiB, --cpus up to 4" in out and "no GPU, so no --gpu" in out
    assert cli.main(["--help"]) == 0
    assert "2 containers and 1 images" in capsys.readouterr().out


def test_help_without_a_readable_configuration_shows_no_server_limits(monkeypatch, capsys):
    def unreadable(path):
        raise SetupError("cannot read")

    monkeypatch.setattr(config, "load", unreadable)
    assert cli.main(["run", "--help"]) == 0
    assert "On this server" not in capsys.readouterr().out


def test_ie_podman_completes_the_callers_own_names_only(tmp_path, capsys):
    podman = FakePodman()
    podman.add_image("img")  # public: not the student's to complete
    podman.add_image("localhost/alice/web:latest", uid=1001)
    podman.add_image("localhost/bob/secret:latest", uid=1002)
    alice, bob = make_app(ALICE, podman, tmp_path), make_app(BOB, podman, tmp_path)
    alice.cmd_run(["-d", "--name", "up", "img"])
    alice.cmd_run(["--name", "ended", "img"])
    podman.containers["alice_ended"]["State"] = {"Status": "exited", "Running": False}
    bob.cmd_run(["-d", "--name", "bobs", "img"])
    capsys.readouterr()
    listed = {}
    for kind in ("containers", "running", "images"):
        assert alice.cmd_complete([kind]) == 0
        listed[kind] = capsys.readouterr().out.split()
    assert listed == {
        "containers": ["ended", "up"],
        "running": ["up"],
        "images": ["web:latest"],
    }
    bob.cmd_complete(["containers"])
    assert capsys.readouterr().out.split() == ["bobs"]
    with pytest.raises(UsageError):
        alice.cmd_complete(["secrets"])


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        (
            b'time="2026-11-26T10:00:00Z" level=warning msg="The cgroupv2 manager is set to '
            b'systemd but there is no systemd user session available"\n'
            b"Error: no such container alice_x\n",
            "Error: no such container alice_x",
        ),
        (b"WARN[0000] cgroups v1 is deprecated\nError: boom\n", "Error: boom"),
        (
            b'time="x" level=warning msg="only a warning"\n',
            'time="x" level=warning msg="only a warning"',
        ),
        (b"", "podman create failed (125)"),
    ],
)
def test_podmans_warnings_are_not_part_of_the_error(stderr, message):
    from ie_podman.backend import failure

    assert failure(["create"], 125, stderr).message == message


def _tree(files):
    """A tar stream as ``podman cp NAME:DIR -`` writes it."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return data.getvalue()


@pytest.fixture
def copy_out(podman, tmp_path, monkeypatch):
    """alice (as the test's own user) copies out of her container "box" into
    tmp_path/dest; the fake Podman streams ``archive`` and then exits with
    ``podman_rc``."""
    pw = pwd.getpwuid(os.getuid())
    me = Caller(os.getuid(), pw.pw_gid, "alice", str(tmp_path), (pw.pw_gid,))
    app = make_app(me, podman, tmp_path / "state-dir")
    podman.add_container("alice_box", os.getuid(), status="running")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "kept.txt").write_text("mine")
    state = {"archive": b"", "rc": 0}

    @contextlib.contextmanager
    def stream_out(args):
        yield io.BytesIO(state["archive"])
        if state["rc"]:
            raise ToolFailed(f"Error: copying failed ({state['rc']})")

    monkeypatch.setattr(podman, "stream_out", stream_out, raising=False)
    return app, dest, state


def test_cp_out_lands_whole_and_leaves_no_staging(copy_out):
    app, dest, state = copy_out
    state["archive"] = _tree({"www/index.html": b"hello", "www/sub/a.txt": b"a"})
    assert app.cmd_cp(["box:/www", str(dest)]) == 0
    assert (dest / "www" / "index.html").read_bytes() == b"hello"
    assert (dest / "www" / "sub" / "a.txt").read_bytes() == b"a"
    assert sorted(p.name for p in dest.iterdir()) == ["kept.txt", "www"]


@pytest.mark.parametrize("how", ["podman fails at the end", "the size cap is reached"])
def test_a_failed_cp_out_leaves_nothing_behind(copy_out, monkeypatch, how):
    app, dest, state = copy_out
    state["archive"] = _tree({"www/index.html": b"hello" * 1000, "www/b.txt": b"b"})
    if how == "podman fails at the end":
        state["rc"] = 125
    else:
        monkeypatch.setattr(app, "upload_limit", lambda: 600)
    with pytest.raises(IeError):
        app.cmd_cp(["box:/www", str(dest)])
    assert sorted(p.name for p in dest.iterdir()) == ["kept.txt"]
    assert (dest / "kept.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "args",
    [
        ["ps", "extra"],
        ["logs"],
        ["run", "--name", "--rm", "img"],
        ["run", "-v", "/etc:/x", "img"],
        ["rm"],
        ["stop", "--time", "soon", "x"],
        ["rmi"],
        ["info", "nosuch"],
        ["registry", "pull", "x"],
        ["build", "--tag", "t"],
        ["images", "--format", "yaml"],
    ],
)
def test_every_refusal_ends_with_a_hint(as_alice, capsys, args):
    status = cli.main(args)
    assert status != 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("ie-podman: error: ")
    assert err[-1].startswith("ie-podman: hint: ") and len(err[-1]) > len("ie-podman: hint: ") + 10


def test_a_refusal_without_its_own_hint_points_to_the_commands_help(as_alice, capsys):
    cli.main(["ps", "extra"])
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ie-podman: hint: sudo ie-podman ps --help shows what it takes"
    )


def test_pull_brings_back_the_callers_own_image_from_their_namespace(podman, tmp_path):
    app = make_app(ALICE, podman, tmp_path, registry="reg.example:5000")
    podman.registry["reg.example:5000/alice/web:1"] = {"ie.owner.uid": "1001"}
    podman.registry["reg.example:5000/bob/web:1"] = {"ie.owner.uid": "1002"}
    assert app.cmd_pull(["web:1"]) == 0
    assert podman.calls[0][:4] == ["pull", "--quiet", "--authfile", app.cfg.registry_auth_file]
    assert podman.calls[0][-1] == "reg.example:5000/alice/web:1"  # her namespace, never asked
    assert podman.images["localhost/alice/web:1"]["Labels"]["ie.owner.uid"] == "1001"
    assert "reg.example:5000/alice/web:1" not in podman.images  # only her local name stays
    assert [i["Names"] for i in podman.images_of(1001)] == [["localhost/alice/web:1"]]


@pytest.mark.parametrize(
    "text", ["reg.example:5000/bob/web:1", "../bob/web", "bob/../web", "web@sha256:0"]
)
def test_pull_cannot_name_another_namespace(podman, tmp_path, text):
    app = make_app(ALICE, podman, tmp_path, registry="reg.example:5000")
    podman.registry["reg.example:5000/bob/web:1"] = {"ie.owner.uid": "1002"}
    with pytest.raises(UsageError):
        app.cmd_pull([text])
    assert podman.calls == [] and "localhost/alice/web:1" not in podman.images


def test_pull_keeps_nothing_it_did_not_build_for_the_caller(podman, tmp_path):
    """An image in her namespace that ie-podman did not build for her (an
    admin's copy, another UID's labels) is inspected after the pull and dropped."""
    app = make_app(ALICE, podman, tmp_path, registry="reg.example:5000")
    podman.registry["reg.example:5000/alice/odd:latest"] = {"ie.owner.uid": "1002"}
    with pytest.raises(Refused, match="not built by you"):
        app.cmd_pull(["odd"])
    assert not [r for r in podman.images if "odd" in r]


def test_pull_of_a_missing_image_or_past_the_limit(podman, tmp_path):
    app = make_app(ALICE, podman, tmp_path, registry="reg.example:5000")
    with pytest.raises(NotFound, match="no image 'nope' of yours"):
        app.cmd_pull(["nope"])
    podman.add_image("localhost/alice/have:latest", uid=1001)  # her limit is 1 image
    podman.registry["reg.example:5000/alice/web:latest"] = {"ie.owner.uid": "1001"}
    with pytest.raises(QuotaExceeded):
        app.cmd_pull(["web"])
    assert not [c for c in podman.calls if c[0] == "pull" and c[-1].endswith("web:latest")]


def test_untagged_images_a_rebuild_left_do_not_count_against_the_limit(podman, tmp_path):
    """A rebuilt tag leaves the old image untagged: not listed, not removable
    by name. A build or pull at the limit removes the caller's unused ones
    first, so they neither refuse her nor hold more than the limit's space;
    one a container still uses counts; another student's are never touched."""
    app = make_app(ALICE, podman, tmp_path, registry="reg.example:5000")  # her limit is 1
    for _ in range(3):
        podman.add_untagged(1001)
    bobs = podman.add_untagged(1002)
    podman.registry["reg.example:5000/alice/web:latest"] = {"ie.owner.uid": "1001"}
    assert app.cmd_pull(["web"]) == 0
    assert [i["Names"] for i in podman.images_of(1001)] == [["localhost/alice/web:latest"]]
    assert bobs in podman.images
    podman.add_untagged(1001, used=True)  # her container runs the old image
    podman.registry["reg.example:5000/alice/db:latest"] = {"ie.owner.uid": "1001"}
    with pytest.raises(QuotaExceeded):
        app.cmd_pull(["db"])
    assert len(podman.images_of(1001)) == 2


def test_the_prune_names_only_the_callers_owner_label(monkeypatch):
    from ie_podman import backend

    seen = []
    real = backend.Podman("/usr/bin/podman")
    monkeypatch.setattr(real, "run", lambda args, check=True: seen.append((args, check)))
    real.prune_images_of(1001)
    assert seen == [(["image", "prune", "--force", "--filter", "label=ie.owner.uid=1001"], False)]


def test_rebuilding_one_tag_again_and_again_keeps_no_more_than_the_limit(podman, tmp_path):
    app = make_app(ALICE, podman, tmp_path, quota={"containers": 2, "images": 3})
    podman.add_image("localhost/alice/web:latest", uid=1001)
    pruned = []
    podman.prune_images_of = lambda uid, real=podman.prune_images_of: (
        pruned.append(uid) or real(uid)
    )
    for _ in range(10):  # each rebuild leaves the last one untagged
        app.check_image_quota("localhost/alice/web:latest")
        podman.add_untagged(1001)
        assert len(podman.images_of(1001)) <= 3
    assert pruned and set(pruned) == {1001} and len(pruned) < 10  # not on every build
