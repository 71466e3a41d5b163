"""Issue 21's classes against a fake Podman that reads argv as Podman does.

Every case shows the refusal and that nothing was created; the property
tests drive the whole ``run`` command with words a student might try.
"""

from __future__ import annotations

import os
import time

import fakepodman
import pytest
from fakepodman import FakePodman, parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ie_common import userio
from ie_common.errors import IeError, QuotaExceeded, Refused, UsageError
from ie_common.identity import Caller
from ie_podman import cli, ipam, options, policy, verify

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))
BOB = Caller(uid=1002, gid=1002, name="bob", home="/home/bob", groups=(1002,))

# What ie-podman itself may put in front of "--" in a create argv.
ENGINE_OPTIONS = {
    "--name", "--label", "--security-opt", "--uidmap", "--gidmap", "--userns", "--interactive",
    "--tty", "--rm", "--init", "--env", "--workdir", "--entrypoint", "--user", "--hostname",
    "--memory", "--cpus", "--volume", "--device", "--network",
}  # fmt: skip


def make_app(caller, podman, tmp_path, **cfg):
    values = {
        "pool_end": "10.9.0.13",
        "userns": "auto",
        "quota": {"containers": 3, "images": 3},
        "max_memory_mib": 2048,
        "max_cpus": 4,
    }
    return fakepodman.make_app(caller, podman, tmp_path, **{**values, **cfg})


@pytest.fixture
def podman():
    fake = FakePodman()
    fake.add_image("localhost/alice/web:latest", 1001)
    fake.add_image("localhost/bob/secret:latest", 1002)
    fake.add_image("docker.io/library/debian:13")
    return fake


def creates(podman):
    return [c for c in podman.calls if c[0] == "create"]


# -- class 1: option smuggling ---------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--", "--privileged", "web"],
        ["--", "-v", "/:/host", "web"],
        ["-d", "--", "--uidmap=0:0:1", "web"],
        ["--", "--authfile=/etc/ie/ie-podman-registry-auth.json", "web"],
        ["--network=host", "web"],
        ["-itv/:/host", "web"],
        ["-it", "--privileged=true", "web"],
        ["-dp80:80", "web"],
        ["--name", "--privileged", "web"],
        ["--name=x\n", "web"],
        ["web\n"],
        ["-e", "A=1\n--privileged", "web"],
        ["--user", "0\n", "web"],
        ["--workdir", "rel", "web"],
        ["--hostname", "-x", "web"],
        ["--memory", "100g", "web"],
        ["--cpus", "64", "web"],
        ["--cpus", "0", "web"],
        ["--label", "ie.owner.uid=1002", "web"],
        ["--label", "IE.owner.uid=1002", "web"],
        ["localhost/bob/secret"],
        ["--gpus", "all", "web"],
    ],
)
def test_smuggled_options_are_refused_and_nothing_is_created(podman, tmp_path, argv, monkeypatch):
    monkeypatch.setattr(userio, "resolve_in_home", _no_home)
    with pytest.raises(IeError):
        make_app(ALICE, podman, tmp_path).cmd_run(argv)
    assert creates(podman) == [] and podman.containers == {}


def _no_home(caller, path, cwd):
    raise Refused(f"{path} is outside your home directory")


def test_bundled_short_options_read_as_podman_reads_them():
    parsed = policy.parse_options(["-itv/a:/b", "-e=X=1", "-dm64m", "img", "-v", "x"], options.RUN)
    assert parsed.values == {
        "interactive": True,
        "tty": True,
        "volume": ["/a:/b"],
        "env": ["X=1"],
        "detach": True,
        "memory": "64m",
    }
    assert parsed.positionals == ["img", "-v", "x"]
    with pytest.raises(Refused) as err:
        policy.parse_options(["-itP", "img"], options.RUN)
    assert "-P (in '-itP')" in err.value.message


def test_the_gpus_option_points_to_gpu():
    with pytest.raises(Refused) as err:
        policy.parse_options(["--gpus", "all", "img"], options.RUN)
    assert err.value.hint and "--gpu" in err.value.hint


WORDS = st.sampled_from(
    [
        "--", "-", "-d", "-it", "-itv/:/h", "-v", "/:/h", "--privileged", "--privileged=true",
        "--name", "--name=n1", "n2", "--ip", "--rm", "-e", "A=1", "-eB=2", "--env=C=3",
        "--label", "k=v", "--label=ie.owner.uid=1002", "--network", "host", "--network=host",
        "--uidmap=0:0:1", "--userns=host", "--pid=host", "--cap-add=ALL", "--device=/dev/mem",
        "--authfile", "/etc/ie/ie-podman-registry-auth.json", "--memory", "64m", "-m1g",
        "--cpus=1", "--user", "0", "--workdir=/w", "--hostname", "h1", "web", "web:latest",
        "docker.io/library/debian:13", "localhost/bob/secret", "sh", "-c", "web\n", "x\n",
        "--entrypoint", "/bin/sh", "-w", "--init", "-u", "--pull", "never",
    ]
)  # fmt: skip


IMAGES = st.sampled_from(
    ["web", "web:latest", "docker.io/library/debian:13", "localhost/bob/secret"]
)
# Options first, then an image and a command: most such lines are accepted.
LINES = st.builds(
    lambda opts, image, command: [*opts, image, *command],
    st.lists(WORDS.filter(lambda w: w.startswith("-")), max_size=6),
    IMAGES,
    st.lists(WORDS, max_size=3),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.lists(WORDS, max_size=9), LINES))
def test_property_engine_argv_stays_within_the_policy(tmp_path_factory, argv):
    tmp_path = tmp_path_factory.mktemp("prop")
    podman = FakePodman()
    podman.add_image("localhost/alice/web:latest", 1001)
    podman.add_image("localhost/bob/secret:latest", 1002)
    podman.add_image("docker.io/library/debian:13")
    app = make_app(ALICE, podman, tmp_path)
    app.say = lambda line: None
    try:
        userio.resolve_in_home, saved = _no_home, userio.resolve_in_home
        app.cmd_run(list(argv))
    except IeError:
        assert creates(podman) == [] or podman.containers == {}
        return
    finally:
        userio.resolve_in_home = saved
    (create,) = creates(podman)
    opts, rest = parse(create[1:])
    assert {name for name, _ in opts} <= ENGINE_OPTIONS
    assert create[create.index("--") + 1] in {i["Id"] for i in podman.images.values()}
    image = podman.image(rest[0])
    assert image["Labels"].get("ie.owner.uid") in (None, "1001")  # never bob's
    (data,) = podman.created
    assert data["Config"]["Labels"]["ie.owner.uid"] == "1001"
    assert not data["HostConfig"]["Privileged"] and data["HostConfig"]["NetworkMode"] == "bridge"
    assert all(m["Source"].startswith("/home/alice") for m in data["Mounts"])


# -- class 1: inspect after create -------------------------------------------------


def _set(path, value):
    def tamper(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return tamper


@pytest.mark.parametrize(
    ("tamper", "what"),
    [
        (_set(["HostConfig", "Privileged"], True), "privileged"),
        (_set(["HostConfig", "CapAdd"], ["CAP_SYS_ADMIN"]), "capabilities"),
        (_set(["BoundingCaps"], ["CAP_SYS_ADMIN"]), "capabilities"),
        (_set(["HostConfig", "Devices"], [{"PathOnHost": "/dev/mem"}]), "devices"),
        (_set(["HostConfig", "SecurityOpt"], []), "no-new-privileges"),
        (_set(["HostConfig", "PidMode"], "host"), "PidMode"),
        (_set(["HostConfig", "IpcMode"], "container:bob_x"), "IpcMode"),
        (_set(["HostConfig", "NetworkMode"], "host"), "network"),
        (_set(["NetworkSettings", "Networks"], {"ie-dept": {}}), "department network"),
        (
            _set(["Mounts"], [{"Type": "bind", "Source": "/", "Destination": "/h", "RW": True}]),
            "bind",
        ),
        (_set(["HostConfig", "IDMappings"], {"UidMap": ["0:0:65536"], "GidMap": []}), "host root"),
        (_set(["HostConfig", "IDMappings"], {}), "user namespace"),
        (_set(["Config", "Labels"], {"ie.owner.uid": "1002", "ie.owner.user": "bob"}), "owner"),
        (_set(["HostConfig", "Memory"], 2**40), "memory"),
        (_set(["HostConfig", "NanoCpus"], 64 * 10**9), "CPU"),
        (_set(["Name"], "bob_x"), "name"),
        (_set(["HostConfig", "PortBindings"], {"80/tcp": [{}]}), "ports"),
    ],
)
def test_a_container_that_differs_from_the_policy_is_removed(podman, tmp_path, tamper, what):
    podman.tamper = tamper
    with pytest.raises(Refused) as err:
        make_app(ALICE, podman, tmp_path).cmd_run(["-d", "--name", "w", "web"])
    assert what in err.value.message
    assert podman.containers == {}
    assert ["start", "alice_w"] not in podman.calls
    assert "created container differs" in (tmp_path / "audit.log").read_text()


def test_inspect_data_of_real_podman_passes(podman, tmp_path):
    """The layout of a real ``podman container inspect`` (4.3, rootful)."""
    data = {
        "Name": "alice_w",
        "EffectiveCaps": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"],
        "BoundingCaps": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"],
        "Mounts": [{"Type": "bind", "Source": "/home/alice/d", "Destination": "/d", "RW": False}],
        "NetworkSettings": {"Networks": {"podman": {"IPAddress": ""}}},
        "Config": {"Labels": {"ie.owner.uid": "1001", "ie.owner.user": "alice", "ie.image": "web"}},
        "HostConfig": {
            "Privileged": False, "CapAdd": [], "Devices": [], "NetworkMode": "bridge",
            "PidMode": "private", "IpcMode": "shareable", "UTSMode": "private",
            "UsernsMode": "private", "CgroupnsMode": None, "SecurityOpt": ["no-new-privileges"],
            "Memory": 67108864, "NanoCpus": 1000000000, "PortBindings": {},
            "IDMappings": {"UidMap": ["0:1001:1", "1:300000:65535"],
                           "GidMap": ["0:1001:1", "1:300000:65535"]},
        },
    }  # fmt: skip
    want = verify.Expected(
        name="alice_w",
        owner_uid=1001,
        owner_user="alice",
        binds=frozenset({("/home/alice/d", "/d", False)}),
        uid_map=("0:1001:1", "1:300000:65535"),
        gid_map=("0:1001:1", "1:300000:65535"),
        memory=64 * 2**20,
        nano_cpus=10**9,
        labels={"ie.image": "web"},
    )
    assert verify.problems(data, want) == []


# -- class 3: limits taken as one step ------------------------------------------------


class SlowPodman(FakePodman):
    """Creation takes a while, as it does in Podman: the window a race needs."""

    def _create(self, argv):
        time.sleep(0.05)
        super()._create(argv)


def test_eight_parallel_runs_never_pass_the_container_limit(tmp_path, in_parallel):
    podman = SlowPodman()
    podman.add_image("localhost/alice/web:latest", 1001)

    def one(i):
        app = make_app(ALICE, podman, tmp_path)
        app.say = lambda line: None
        return app.cmd_run(["-d", "--name", f"c{i}", "web"])

    results = in_parallel(one, 8)
    assert len(podman.containers) == 3  # the limit, not more
    assert sum(isinstance(r, QuotaExceeded) for r in results) == 5


def test_memory_and_cpus_are_bounded_by_the_configuration(podman, tmp_path):
    app = make_app(ALICE, podman, tmp_path)
    with pytest.raises(Refused) as err:
        app.cmd_run(["--memory", "3g", "web"])
    assert "2048m" in err.value.message
    with pytest.raises(Refused):
        app.cmd_run(["--cpus", "4.5", "web"])
    with pytest.raises(UsageError):
        app.cmd_run(["--memory", "0", "web"])
    app.say = lambda line: None
    assert app.cmd_run(["-d", "--memory", "2g", "--cpus", "4", "--name", "ok", "web"]) == 0
    assert podman.containers["alice_ok"]["HostConfig"]["Memory"] == 2 * 2**30


# -- class 4: leases come back -----------------------------------------------------------


def test_leases_of_ended_rm_containers_come_back_and_count_per_owner(podman, tmp_path):
    alice = make_app(ALICE, podman, tmp_path)
    alice.say = lambda line: None
    for i in range(3):
        alice.cmd_run(["-d", "--rm", "--ip", "--name", f"r{i}", "web"])
    with pytest.raises(QuotaExceeded):
        alice.cmd_run(["-d", "--rm", "--ip", "--name", "r3", "web"])
    # the three --rm containers end: Podman removes them, and their addresses come back
    podman.containers.clear()
    podman.add_image("localhost/bob/site:latest", 1002)
    bob = make_app(BOB, podman, tmp_path)
    bob.say = lambda line: None
    for i in range(3):
        bob.cmd_run(["-d", "--ip", "--name", f"b{i}", "site"])
    leases = ipam.LeaseStore(tmp_path / "state").snapshot()
    assert sorted(x["container"] for x in leases.values()) == ["bob_b0", "bob_b1", "bob_b2"]


# -- class 8: names are matched whole -------------------------------------------------------


@pytest.mark.parametrize("name", ["web\n", "web\nx", "a" * 64, "-web", "", ".web"])
def test_container_names_with_newlines_or_leading_dashes_are_refused(podman, tmp_path, name):
    with pytest.raises(UsageError):
        make_app(ALICE, podman, tmp_path).cmd_run(["--name", name, "web"])
    assert creates(podman) == []


def test_no_pattern_in_the_wrappers_is_anchored_with_dollar():
    """Every name check uses fullmatch; "$" lets a trailing newline in."""
    import pathlib
    import re

    src = pathlib.Path(cli.__file__).parents[1]
    for path in src.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"""re\.compile\(r?["'][^"']*\$["']""", text), path
        assert not re.search(r"_RE\.match\(", text), path


# -- class 5: root never follows a path a student can change -----------------------------


def test_a_volume_path_with_a_link_is_refused_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("/etc")
    fd = userio.open_dir_nofollow(str(tmp_path / "real"))
    os.close(fd)
    with pytest.raises(Refused):
        userio.open_dir_nofollow(str(tmp_path / "link"))
    with pytest.raises(Refused):
        userio.open_dir_nofollow(str(tmp_path / "link" / "ssh"))


def test_a_mount_swapped_before_init_is_caught_and_the_container_removed(podman, tmp_path):
    """The container's mounted directory is compared with what root holds.

    The fake gives the container this process's root, so the directory
    "mounted" at DEST is whatever DEST is on this host.
    """
    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    app = make_app(ALICE, podman, tmp_path)
    podman.add_container("alice_v", 1001, status="created")
    podman.containers["alice_v"]["State"]["Pid"] = os.getpid()
    fd = userio.open_dir_nofollow(str(mine))
    try:
        assert app.mounted_as_held("alice_v", [(fd, str(mine))]) == []
        found = app.mounted_as_held("alice_v", [(fd, str(other))])
        assert found and "swapped" in found[0]
        (tmp_path / "swapped").symlink_to(mine)
        found = app.mounted_as_held("alice_v", [(fd, str(tmp_path / "swapped"))])
        assert found and "not a plain directory" in found[0]
    finally:
        os.close(fd)
    assert ["init", "alice_v"] in podman.calls


# -- issue 22 in the wrapper: a directory student needs no /etc/subuid line ------------------


def test_subordinate_ids_come_from_the_uid_by_the_podman_roles_formula(podman, tmp_path):
    import importlib.util
    import pathlib

    root = pathlib.Path(__file__).parents[3]
    spec = importlib.util.spec_from_file_location("subids", root / "filter_plugins/subids.py")
    subids = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(subids)
    app = make_app(ALICE, podman, tmp_path, userns="caller", subid_base=100000)
    uid_map, gid_map = app.id_maps()
    (line,) = subids.subid_lines([{"name": "alice", "uid": 1001}], 100000, 65536, 1000)
    _, start, count = line.split(":")
    assert uid_map == ("0:1001:1", f"1:{start}:{int(count) - 1}")
    assert gid_map == ("0:1001:1", f"1:{start}:{int(count) - 1}")
    # a UID inside the subordinate space would be reachable from someone's containers
    high = Caller(uid=150000, gid=150000, name="high", home="/home/high", groups=(150000,))
    with pytest.raises(Refused):
        make_app(high, podman, tmp_path, userns="caller", subid_base=100000).id_maps()
