"""ie-podman registry share/unshare and pull OWNER/IMAGE (issue 25): an image
reaches the student it was shared with, as that student's own, and nobody
else; only what ie-podman built for the owner is kept."""

from __future__ import annotations

import pwd

import pytest
from fakepodman import FakePodman, make_app

from ie_common.errors import NotFound, QuotaExceeded, Refused, UsageError
from ie_common.identity import Caller
from ie_podman import registry

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))
BOB = Caller(uid=1002, gid=1002, name="bob", home="/home/bob", groups=(1002,))
CAROL = Caller(uid=1003, gid=1003, name="carol", home="/home/carol", groups=(1003,))
REG = "reg.example:5000"
ACCOUNTS = {c.name: c for c in (ALICE, BOB, CAROL)} | {
    "daemon": Caller(uid=1, gid=1, name="daemon", home="/", groups=(1,))
}


@pytest.fixture(autouse=True)
def directory(monkeypatch):
    """The students the directory knows."""

    def getpwnam(name):
        c = ACCOUNTS[name]
        return pwd.struct_passwd((c.name, "x", c.uid, c.gid, "", c.home, "/bin/bash"))

    monkeypatch.setattr(registry.pwd, "getpwnam", getpwnam)


@pytest.fixture
def podman():
    return FakePodman()


def app(caller, podman, tmp_path, **cfg):
    return make_app(caller, podman, tmp_path, registry=REG, **cfg)


def test_share_pushes_only_under_the_owners_namespace_for_that_student(podman, tmp_path):
    podman.add_image("localhost/alice/web:1", uid=1001)
    assert app(ALICE, podman, tmp_path).cmd_registry(["share", "web:1", "bob"]) == 0
    assert podman.calls[-1][0] == "push"
    assert podman.calls[-1][-2:] == ["localhost/alice/web:1", f"{REG}/alice/shares/bob/web:1"]
    assert list(podman.registry) == [f"{REG}/alice/shares/bob/web:1"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["share", "web:1", "alice"], UsageError),  # herself
        (["share", "web:1", "nobody"], NotFound),  # no such student
        (["share", "web:1", "daemon"], NotFound),  # a system account
        (["share", "web:1", "bob/../carol"], UsageError),
        (["share", "web:1", "-bob"], Refused),  # an option, never a name
        (["share", "web:1"], UsageError),
        (["share", "bob/web:1", "carol"], UsageError),  # another's image
        (["share", "nope", "bob"], NotFound),  # not hers
    ],
)
def test_share_refuses_what_is_not_hers_to_give(podman, tmp_path, args, error):
    podman.add_image("localhost/alice/web:1", uid=1001)
    podman.add_image("localhost/alice/nope:latest", uid=1002)  # her name, another's label
    with pytest.raises(error):
        app(ALICE, podman, tmp_path).cmd_registry(args)
    assert not [c for c in podman.calls if c[0] == "push"] and podman.registry == {}


def test_the_student_it_was_shared_with_pulls_it_as_their_own(podman, tmp_path):
    podman.add_image("localhost/alice/web:1", uid=1001, labels={"course": "os"})
    app(ALICE, podman, tmp_path).cmd_registry(["share", "web:1", "bob"])
    bob = app(BOB, podman, tmp_path)
    assert bob.cmd_pull(["alice/web:1"]) == 0
    pulls = [c for c in podman.calls if c[0] == "pull"]
    assert pulls[-1][-1] == f"{REG}/alice/shares/bob/web:1"  # the share for him, never asked
    mine = podman.images["localhost/bob/web:1"]
    assert mine["Labels"]["ie.owner.uid"] == "1002" and mine["Labels"]["ie.owner.user"] == "bob"
    assert mine["Labels"]["course"] == "os"
    assert f"{REG}/alice/shares/bob/web:1" not in podman.images  # only his name stays
    assert [i["Names"] for i in podman.images_of(1002)] == [["localhost/bob/web:1"]]
    # the copy is built FROM the pulled image's ID alone: nothing of hers runs
    build = [c for c in podman.calls if c[0] == "build"][-1]
    assert "--pull=never" in build and build[-2] == "--"


@pytest.mark.parametrize("reader", [CAROL, ALICE])
def test_nobody_else_gets_it(podman, tmp_path, reader):
    podman.add_image("localhost/alice/web:1", uid=1001)
    app(ALICE, podman, tmp_path).cmd_registry(["share", "web:1", "bob"])
    if reader is ALICE:
        with pytest.raises(UsageError, match="that is you"):
            app(reader, podman, tmp_path).cmd_pull(["alice/web:1"])
    else:
        with pytest.raises(NotFound, match="alice has not shared 'web:1' with you"):
            app(reader, podman, tmp_path).cmd_pull(["alice/web:1"])
        assert [c for c in podman.calls if c[0] == "pull"][-1][
            -1
        ] == f"{REG}/alice/shares/carol/web:1"
    assert podman.images_of(reader.uid) == [] or reader is ALICE


def test_unshare_deletes_the_share_and_then_the_pull_fails(podman, tmp_path, monkeypatch):
    podman.add_image("localhost/alice/web:1", uid=1001)
    alice = app(ALICE, podman, tmp_path)
    alice.cmd_registry(["share", "web:1", "bob"])
    requests = []

    def request(self, method, path, missing_ok=False):
        requests.append((method, path))
        repo_tag = path.removeprefix("/v2/").replace("/manifests/", ":")
        if method == "HEAD":
            return (
                {"Docker-Content-Digest": "sha256:" + "a" * 64}
                if f"{REG}/{repo_tag}" in podman.registry
                else None
            )
        podman.registry.pop(f"{REG}/alice/shares/bob/web:1")
        return {}

    monkeypatch.setattr(registry.RegistryCommands, "registry_request", request)
    assert alice.cmd_registry(["unshare", "web:1", "bob"]) == 0
    assert requests == [
        ("HEAD", "/v2/alice/shares/bob/web/manifests/1"),
        ("DELETE", "/v2/alice/shares/bob/web/manifests/sha256:" + "a" * 64),
    ]
    with pytest.raises(NotFound):
        app(BOB, podman, tmp_path).cmd_pull(["alice/web:1"])
    with pytest.raises(NotFound, match="not shared with bob"):
        alice.cmd_registry(["unshare", "web:1", "bob"])


def test_a_share_that_ie_podman_did_not_build_for_the_owner_is_not_kept(podman, tmp_path):
    podman.registry[f"{REG}/alice/shares/bob/odd:latest"] = {"ie.owner.uid": "1003"}
    with pytest.raises(Refused, match="not built by alice"):
        app(BOB, podman, tmp_path).cmd_pull(["alice/odd"])
    assert not [r for r in podman.images if "odd" in r]
    assert not [c for c in podman.calls if c[0] == "build"]


def test_a_share_with_onbuild_steps_is_not_kept(podman, tmp_path):
    podman.add_image("localhost/alice/trap:latest", uid=1001)["Config"] = {"OnBuild": ["RUN id"]}
    app(ALICE, podman, tmp_path).cmd_registry(["share", "trap", "bob"])
    podman.images[f"{REG}/alice/shares/bob/trap:latest"] = podman.images[
        "localhost/alice/trap:latest"
    ]
    podman.registry.pop(f"{REG}/alice/shares/bob/trap:latest")

    def pull_keeps_config(argv, check=True, capture=True, stdin=None, real=podman.run):
        if argv[0] == "pull":
            podman.calls.append(list(argv))
            return type(
                "R", (), {"returncode": 0, "stdout": podman.images[argv[-1]]["Id"].encode()}
            )()
        return real(argv, check, capture, stdin)

    podman.run = pull_keeps_config
    with pytest.raises(Refused, match="ONBUILD"):
        app(BOB, podman, tmp_path).cmd_pull(["alice/trap"])
    assert "localhost/bob/trap:latest" not in podman.images
    assert not [c for c in podman.calls if c[0] == "build"]


def test_a_pull_never_replaces_an_image_of_the_callers_or_passes_the_limit(podman, tmp_path):
    podman.add_image("localhost/alice/web:1", uid=1001)
    app(ALICE, podman, tmp_path).cmd_registry(["share", "web:1", "bob"])
    podman.add_image("localhost/bob/web:1", uid=1002)
    with pytest.raises(Refused, match="already"):
        app(BOB, podman, tmp_path).cmd_pull(["alice/web:1"])
    renamed = {**podman.images.pop("localhost/bob/web:1"), "Names": ["localhost/bob/other:latest"]}
    podman.images["localhost/bob/other:latest"] = renamed
    with pytest.raises(QuotaExceeded):  # his limit is 1 image
        app(BOB, podman, tmp_path).cmd_pull(["alice/web:1"])
    assert not [c for c in podman.calls if c[0] == "pull"]


def test_search_shows_only_the_callers_images_and_those_shared_with_them(
    podman, tmp_path, monkeypatch, capsys
):
    catalog = ["alice/web", "alice/shares/bob/web", "bob/notes", "carol/shares/alice/tool"]
    asked = []

    def get(self, path):
        asked.append(path)
        return {"repositories": catalog} if path == "/v2/_catalog" else {"tags": ["1"]}

    monkeypatch.setattr(registry.RegistryCommands, "registry_get", get)
    alice = app(ALICE, podman, tmp_path)
    assert alice.cmd_registry(["search"]) == 0
    shown = capsys.readouterr().out.split()
    assert "alice/web" in shown and "alice/shares/bob/web" in shown
    assert "carol/shares/alice/tool" in shown
    assert "bob/notes" not in shown  # bob's, and not shared with her
    for repo in ("bob/notes", "carol/shares/bob/tool", "alicex/web"):
        with pytest.raises(NotFound):
            alice.cmd_registry(["search", repo])
    assert asked == ["/v2/_catalog"]  # nothing of theirs was asked for
    assert alice.cmd_registry(["search", "carol/shares/alice/tool"]) == 0
    assert asked[-1] == "/v2/carol/shares/alice/tool/tags/list"
