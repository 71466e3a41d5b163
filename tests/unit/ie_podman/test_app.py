"""The commands against a fake Podman: what reaches Podman, and what never does."""

from __future__ import annotations

import json
import os

import pytest
from fakepodman import FakePodman, make_app

from ie_common.errors import IeError, NotFound, QuotaExceeded, Refused, SetupError, UsageError
from ie_common.identity import Caller, from_sudo
from ie_podman import cli, ipam
from ie_podman.backend import OWNER_LABEL

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))
BOB = Caller(uid=1002, gid=1002, name="bob", home="/home/bob", groups=(1002,))


@pytest.fixture
def podman():
    fake = FakePodman()
    fake.add_image("img")  # a public image (no owner): an admin pulled it
    fake.add_image("docker.io/library/nginx")
    return fake


app_for = make_app


def test_run_adds_owner_labels_confinement_and_namespaced_name(podman, tmp_path):
    app = app_for(ALICE, podman, tmp_path)
    assert app.cmd_run(["-d", "--name", "web", "docker.io/library/nginx", "nginx"]) == 0
    create, start = podman.calls[-2:]
    assert create[:2] == ["create", "--name=alice_web"]
    assert f"--label={OWNER_LABEL}=1001" in create and "--security-opt=no-new-privileges" in create
    # the image reaches Podman as its ID, after "--", and the command after it
    nginx = podman.images["docker.io/library/nginx"]["Id"]
    assert create[-3:] == ["--", nginx, "nginx"]
    assert start == ["start", "alice_web"]
    audit = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert audit[-1]["command"] == "run" and audit[-1]["user"] == "alice"


def test_container_root_is_the_caller_on_the_host(podman, tmp_path, monkeypatch):
    app = app_for(ALICE, podman, tmp_path, userns="caller")
    monkeypatch.setattr(cli, "subordinate_range", lambda name, uid, path: (200000, 65536))
    maps = app.userns_args()
    assert maps == [
        "--uidmap=0:1001:1", "--uidmap=1:200000:65535",
        "--gidmap=0:1001:1", "--gidmap=1:200000:65535",
    ]  # fmt: skip
    assert app.userns_args(build=True)[0] == "--userns-uid-map=0:1001:1"
    app.cmd_run(["-d", "--name", "m", "img"])  # the created mapping is checked, and it matches
    assert podman.containers["alice_m"]["HostConfig"]["IDMappings"]["UidMap"] == [
        "0:1001:1",
        "1:200000:65535",
    ]
    assert podman.containers["alice_m"]["State"]["Running"]
    monkeypatch.setattr(cli, "subordinate_range", lambda name, uid, path: None)
    with pytest.raises(Refused):
        app.userns_args()


def test_refused_options_never_reach_podman(podman, tmp_path):
    app = app_for(ALICE, podman, tmp_path)
    for bad in (["--privileged"], ["--cap-add", "ALL"], ["--pid=host"], ["-v", "/etc:/x"]):
        with pytest.raises(Refused):
            app.cmd_run([*bad, "img"])
    with pytest.raises(Refused):
        app.cmd_run(["--label", "ie.owner.uid=1002", "img"])
    assert podman.calls == []


def test_gpu_only_where_the_host_has_one(podman, tmp_path):
    with pytest.raises(Refused) as err:
        app_for(ALICE, podman, tmp_path).cmd_run(["--gpu", "img"])
    assert "no GPU" in err.value.message
    app_for(ALICE, podman, tmp_path, gpu=True).cmd_run(["--gpu", "--name", "g", "img"])
    assert "--device=nvidia.com/gpu=all" in podman.calls[-2]


def test_others_containers_are_not_found_whatever_the_name(podman, tmp_path):
    podman.add_container("bob_web", 1002)
    # a container in alice's namespace but labelled for bob is not hers either
    podman.add_container("alice_trap", 1002)
    app = app_for(ALICE, podman, tmp_path)
    for cmd in (app.cmd_stop, app.cmd_start, app.cmd_rm):
        for name in ("web", "trap", "bob_web"):
            with pytest.raises(NotFound):
                cmd([name])
    with pytest.raises(NotFound):
        app.cmd_exec(["web", "sh"])
    assert podman.calls == []


def test_ip_addresses_are_distinct_and_come_back_on_rm(podman, tmp_path):
    alice = app_for(ALICE, podman, tmp_path)
    bob = app_for(BOB, podman, tmp_path)
    alice.cmd_run(["-d", "--ip", "--name", "a", "img"])
    bob.cmd_run(["-d", "--ip", "--name", "b", "img"])
    leases = ipam.LeaseStore(tmp_path / "state").snapshot()
    by_container = {v["container"]: k for k, v in leases.items()}
    assert by_container == {"alice_a": "10.9.0.10", "bob_b": "10.9.0.11"}
    assert podman.containers["alice_a"]["NetworkSettings"]["Networks"].keys() == {"ie-dept"}
    alice.cmd_rm(["a"])
    assert set(ipam.LeaseStore(tmp_path / "state").snapshot()) == {"10.9.0.11"}
    bob.cmd_run(["-d", "--ip", "--name", "c", "img"])
    assert "--network=ie-dept:ip=10.9.0.10" in podman.calls[-2]


def test_a_failed_run_gives_its_address_back(podman, tmp_path):
    podman.create_rc = 125  # podman could not create it
    podman.run = _checked(podman.run)
    with pytest.raises(IeError):
        app_for(ALICE, podman, tmp_path).cmd_run(["--ip", "--name", "x", "img"])
    assert ipam.LeaseStore(tmp_path / "state").snapshot() == {}


def _checked(run):
    """The fake's run with the backend's check=True behaviour."""

    def wrapped(argv, check=True, **kw):
        result = run(argv, check=check, **kw)
        if check and result.returncode:
            raise IeError(result.stderr.decode())
        return result

    return wrapped


def test_container_quota(podman, tmp_path):
    app = app_for(ALICE, podman, tmp_path)
    app.cmd_run(["-d", "--name", "one", "img"])
    app.cmd_run(["-d", "--name", "two", "img"])
    with pytest.raises(QuotaExceeded):
        app.cmd_run(["-d", "--name", "three", "img"])
    # bob's count is his own
    app_for(BOB, podman, tmp_path).cmd_run(["-d", "--name", "one", "img"])


def test_run_cannot_use_another_users_image(podman, tmp_path):
    secret = podman.add_image("localhost/bob/secret:latest", 1002)
    app = app_for(ALICE, podman, tmp_path)
    by_id = secret["Id"]
    for ref in ("localhost/bob/secret:latest", "localhost/bob/secret", by_id, by_id[:12]):
        with pytest.raises(NotFound):
            app.cmd_run([ref])
    web = podman.add_image("localhost/alice/web:latest", 1001)
    app.cmd_run(["--name", "w", "web"])
    assert podman.calls[-2][-1] == web["Id"]
    assert podman.containers["alice_w"]["Config"]["Labels"]["ie.image"] == "web:latest"


@pytest.mark.parametrize(
    "containerfile",
    [
        "FROM localhost/bob/secret\n",
        "FROM scratch\nCOPY --from=localhost/bob/secret /x /x\n",
        "ARG B=localhost/bob/secret\nFROM $B\n",
        "FROM scratch\nRUN --mount=type=cache,target=/c true\n",
        "FROM scratch\nRUN --mount=type=secret,id=x true\n",
        "FROM scratch\nRUN \\\n  --mount=type=bind,from=localhost/bob/secret,target=/s cat /s\n",
    ],
)
def test_containerfiles_cannot_reach_other_users_images_or_shared_mounts(
    podman, tmp_path, containerfile
):
    podman.add_image("localhost/bob/secret:latest", 1002)
    with pytest.raises((Refused, NotFound, UsageError)):
        app_for(ALICE, podman, tmp_path).check_containerfile(containerfile)


def test_multi_stage_containerfile_is_fine(podman, tmp_path):
    app_for(ALICE, podman, tmp_path).check_containerfile(
        "FROM scratch AS base\nCOPY x /x\nFROM base\nCOPY --from=base /x /y\nCOPY --from=0 /x /z\n"
    )


def test_admin_commands_are_for_root(podman, tmp_path):
    with pytest.raises(Refused):
        app_for(ALICE, podman, tmp_path).cmd_admin(["leases"])


def test_reclaim_gives_back_addresses_of_long_stopped_containers(podman, tmp_path, capsys):
    root = Caller(0, 0, "root", "/root", (0,))
    store = ipam.LeaseStore(tmp_path / "state")
    with store.locked() as leases:
        leases["10.9.0.10"] = {"container": "alice_old"}
        leases["10.9.0.11"] = {"container": "alice_new"}
        leases["10.9.0.12"] = {"container": "alice_gone"}
    podman.add_container("alice_old", 1001, status="exited")
    podman.containers["alice_old"]["State"]["FinishedAt"] = "2020-01-01T00:00:00.123456789Z"
    podman.add_container("alice_new", 1001)
    app = app_for(root, podman, tmp_path)
    app.cmd_admin(["reclaim", "--older-than", "3600", "--dry-run"])
    assert len(store.snapshot()) == 3
    app.cmd_admin(["reclaim", "--older-than", "3600"])
    assert set(store.snapshot()) == {"10.9.0.11"}
    assert ["network", "disconnect", "ie-dept", "alice_old"] in podman.calls


def test_start_reconnects_a_reclaimed_container(podman, tmp_path):
    podman.add_container("alice_old", 1001, labels={"ie.network": "dept"}, status="exited")
    app = app_for(ALICE, podman, tmp_path)
    app.cmd_start(["old"])
    assert podman.calls[-2] == ["network", "connect", "--ip=10.9.0.10", "ie-dept", "alice_old"]
    assert podman.calls[-1] == ["start", "alice_old"]


def test_identity_only_from_sudo(monkeypatch):
    with pytest.raises(SetupError) as err:
        from_sudo({"SUDO_UID": "1001"}, 1000, euid=1001)
    assert "sudo ie-podman" in err.value.hint
    with pytest.raises(Refused):
        from_sudo({"SUDO_UID": "5"}, 1000, euid=0)
    me = from_sudo({"SUDO_UID": str(os.getuid()), "USER": "someone-else"}, 0, euid=0)
    assert me.uid == os.getuid()


def test_main_help_and_exit_statuses(capsys):
    assert cli.main(["--help"]) == 0
    assert "exit status" in capsys.readouterr().out
    assert cli.main(["run", "--help"]) == 0
    assert "--privileged" not in capsys.readouterr().out.split("refused")[0]
    assert cli.main(["frobnicate"]) == 2
    assert cli.main([]) == 2


def test_usage_errors(podman, tmp_path):
    app = app_for(ALICE, podman, tmp_path)
    with pytest.raises(UsageError):
        app.cmd_run([])
    with pytest.raises(UsageError):
        app.cmd_cp(["a", "b"])
    with pytest.raises(UsageError):
        app.cmd_stop(["--time", "soon", "x"])


def test_registry_push_goes_only_into_the_callers_namespace(podman, tmp_path):
    podman.add_image("localhost/alice/web:1.0", 1001)
    podman.add_image("localhost/bob/web:1.0", 1002)
    app = app_for(ALICE, podman, tmp_path, registry="registry01:5000")
    app.cmd_registry(["push", "web:1.0"])
    assert podman.calls[-1] == [
        "push",
        "--authfile",
        "/etc/ie/ie-podman-registry-auth.json",
        "localhost/alice/web:1.0",
        "registry01:5000/alice/web:1.0",
    ]
    # another user's image, or a name with a namespace, never reaches podman push
    podman.calls.clear()
    for bad in (["push", "bob/web:1.0"], ["push", "localhost/bob/web:1.0"]):
        with pytest.raises(UsageError):
            app.cmd_registry(bad)
    with pytest.raises(NotFound):
        app_for(BOB, podman, tmp_path, registry="registry01:5000").cmd_registry(["push", "web:2.0"])
    assert podman.calls == []
    with pytest.raises(Refused):
        app_for(ALICE, podman, tmp_path).cmd_registry(["push", "web:1.0"])  # no registry here


def test_rmi_removes_only_the_callers_own_image_by_its_namespaced_name(podman, tmp_path):
    from ie_podman import naming

    mine = naming.image_ref("alice", "web:latest")
    bobs = naming.image_ref("bob", "web:latest")
    podman.add_image(mine, 1001)
    podman.add_image(bobs, 1002)
    # an image under alice's prefix that bob labelled is not hers
    podman.add_image(naming.image_ref("alice", "trap:latest"), 1002)
    alice = app_for(ALICE, podman, tmp_path)
    for other in ("trap", bobs, "bob/web"):
        with pytest.raises((NotFound, Refused, UsageError)):
            alice.cmd_rmi([other])
    # one bad name among good ones: nothing is removed
    with pytest.raises(NotFound):
        alice.cmd_rmi(["web", "trap"])
    assert podman.calls == []
    assert alice.cmd_rmi(["web"]) == 0
    assert podman.calls == [["rmi", mine]]
    with pytest.raises(UsageError):
        alice.cmd_rmi([])
    # no --force: Podman would remove the student's containers with the image
    with pytest.raises((UsageError, Refused)):
        alice.cmd_rmi(["--force", "web"])
    assert podman.calls == [["rmi", mine]]


def test_lists_as_a_table_or_as_json(podman, tmp_path, capsys):
    podman.add_container("alice_web", 1001)
    app = app_for(ALICE, podman, tmp_path)
    assert app.cmd_ps(["--all", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["web"]
    assert app.cmd_ps(["--all"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[0] == "NAME" and table[1].split()[0] == "web"
    with pytest.raises(UsageError):
        app.cmd_ps(["--format", "yaml"])
