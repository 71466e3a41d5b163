"""Two students share a rootful Podman through ie-podman and sudo.

Everything runs as the students themselves (runuser + sudo), on real
Podman inside ctr-gs01; ctr-gs02 is another host on the same LAN. The tests
run in file order: they build on each other like a session at the terminal.
"""

import json
import shlex

import pytest
from students import GS01, GS02, as_user, ok, wrapper

testinfra_hosts = ["podman://ctr-gs01"]
AUDIT = "/var/log/ie-podman/audit.log"

# httpd runs under a shell that ends on SIGTERM (PID 1 ignores signals it
# has no handler for), so stop and rm take no stop timeout.
CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/www", "/tmp", "/data"]
RUN ["/bin/busybox", "sh", "-c", "echo {greeting} > /www/index.html"]
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox httpd -f -p 8080 -h /www & wait"]
"""


def iep(user, args):
    return wrapper("ie-podman", user, args)


def podman_state(full_name):
    return GS01.check_output(f"podman inspect --format '{{{{.State.Status}}}}' {full_name}")


def leases():
    return json.loads(GS01.check_output("ie-podman admin leases --format json"))


def make_context(user, greeting):
    as_user(user, "rm -rf ctx && mkdir ctx && cp /bin/busybox ctx/")
    text = CONTAINERFILE.format(greeting=greeting)
    ok(as_user(user, f"printf %s {shlex.quote(text)} > ctx/Containerfile"))


@pytest.fixture(scope="module", autouse=True)
def images():
    for user, image in (("alice", "web"), ("bob", "site")):
        make_context(user, f"hello-from-{user}")
        ok(iep(user, f"build --tag {image} ctx"))
    yield
    for user in ("alice", "bob"):
        for c in json.loads(ok(iep(user, "ps --all --format json"))):
            iep(user, f"rm --force {c['name']}")


def test_each_student_sees_only_their_own_images():
    alice = [i["image"] for i in json.loads(ok(iep("alice", "images --format json")))]
    bob = [i["image"] for i in json.loads(ok(iep("bob", "images --format json")))]
    assert alice == ["web:latest"]
    assert bob == ["site:latest"]
    # in Podman they live in each user's own namespace, owner-labelled
    refs = GS01.check_output("podman images --format '{{.Repository}}:{{.Tag}}'").split()
    assert "localhost/alice/web:latest" in refs and "localhost/bob/site:latest" in refs


def test_containers_get_distinct_addresses_another_host_reaches():
    a = ok(iep("alice", "run --detach --ip --name web web")).split()
    b = ok(iep("bob", "run --detach --ip --name web site")).split()
    assert a[0] == b[0] == "web"  # the same short name, no collision
    assert a[1] != b[1]
    for addr, user in ((a[1], "alice"), (b[1], "bob")):
        page = GS02.run(
            f"curl -s --retry 10 --retry-connrefused --retry-delay 1 http://{addr}:8080/"
        )
        assert page.stdout.strip() == f"hello-from-{user}", page.stderr
    assert {x["container"] for x in leases()} == {"alice_web", "bob_web"}


def test_each_student_lists_only_their_own_containers():
    alice = json.loads(ok(iep("alice", "ps --format json")))
    assert [(c["name"], c["image"], c["state"]) for c in alice] == [
        ("web", "web:latest", "running")
    ]
    info = json.loads(ok(iep("alice", "info web --format json")))
    assert info["podman_name"] == "alice_web"


COMPLETE = (
    "source /usr/share/bash-completion/completions/ie-podman; "
    "COMP_WORDS=(ie-podman {verb} ''); COMP_CWORD=2; _ie_podman; "
    'printf "%s\\n" "${{COMPREPLY[@]}}"'
)


def test_bash_completion_offers_each_student_their_own_names_only():
    """The installed completion, through the real sudo rule, as each student."""
    assert ok(as_user("alice", COMPLETE.format(verb="exec"))).split() == ["web"]
    assert ok(as_user("alice", COMPLETE.format(verb="rmi"))).split() == ["web:latest"]
    # bob has a container named web too (names are per student), and his own image
    bobs = sorted(c["name"] for c in json.loads(ok(iep("bob", "ps --all --format json"))))
    assert sorted(ok(as_user("bob", COMPLETE.format(verb="rm"))).split()) == bobs
    assert ok(as_user("bob", COMPLETE.format(verb="rmi"))).split() == ["site:latest"]


@pytest.mark.parametrize(
    "command",
    [
        "stop alice_web",
        "rm --force alice_web",
        "start alice_web",
        "logs alice_web",
        "info alice_web",
        "exec alice_web /bin/busybox true",
        "cp alice_web:/www/index.html stolen.html",
        "run --name x localhost/alice/web:latest",
        "sif web",
        "rmi web",
    ],
)
def test_cross_user_actions_are_refused_and_change_nothing(command):
    result = iep("bob", command)
    # run and exec keep 125 for ie-podman's own errors (as podman run does)
    assert result.rc == (125 if command.split()[0] in ("run", "exec") else 4), result.stderr
    assert "you have no" in result.stderr
    assert podman_state("alice_web") == "running"
    assert not GS01.file("/home/bob/stolen.html").exists


def test_another_users_image_cannot_be_a_base_image():
    as_user("bob", "rm -rf evil && mkdir evil")
    as_user("bob", "printf 'FROM localhost/alice/web\\n' > evil/Containerfile")
    result = iep("bob", "build --tag evil evil")
    assert result.rc == 4, result.stderr
    assert "evil" not in GS01.check_output("podman images --format '{{.Repository}}'")


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ("--privileged", "whole host"),
        ("--cap-add SYS_ADMIN", "capabilities"),
        ("--device /dev/mem", "host devices"),
        ("--security-opt seccomp=unconfined", "security options"),
        ("--pid host", "host namespaces"),
        ("--network host", "--ip"),
        ("--userns host", "user namespace"),
        ("--cidfile /etc/cron.d/x", "as root"),
        ("--env-file /etc/shadow", "as root"),
        ("--authfile /root/auth.json", "as root"),
        ("--log-opt path=/etc/cron.d/x", "as root"),
        ("--rootfs /", "host directory"),
        ("--mount type=bind,src=/,dst=/host", "-v DIR:PATH"),
        ("-v /etc:/host", "outside your home"),
        ("-v /home/bob:/host", "outside your home"),
        ("-v data:/d", "named volumes"),
        ("-v ./data:/d:Z", "ro and rw"),
        ("-p 80:80", "host ports"),
        ("--label ie.owner.uid=2002", "set by ie-podman"),
        ("--gpu", "no GPU"),
        ("--made-up-option", "--help"),
    ],
)
def test_options_reaching_host_privileges_are_refused(option, reason):
    as_user("alice", "mkdir -p data")
    before = GS01.check_output("podman ps -aq | wc -l")
    result = iep("alice", f"run {option} --name bad web")
    assert result.rc == 125, (result.rc, result.stderr)  # run's own errors (podman's 125)
    assert reason in result.stderr
    assert GS01.check_output("podman ps -aq | wc -l") == before


def test_a_symlink_out_of_the_home_is_not_followed_by_root():
    as_user("alice", "ln -sfn /etc etc-link")
    result = iep("alice", "run --rm -v ./etc-link:/x web /bin/busybox ls /x")
    assert result.rc == 125 and "outside your home" in result.stderr


def test_home_volume_files_belong_to_the_student_and_root_inside_is_not_root():
    as_user("alice", "mkdir -p data && rm -f data/made-inside")
    out = ok(
        iep(
            "alice",
            "run --rm -v ./data:/data web /bin/busybox sh -c "
            "'echo x > /data/made-inside; cat /proc/self/uid_map'",
        )
    )
    # container root is alice on the host; the rest maps into her range
    assert out.split()[:3] == ["0", "2001", "1"]
    made = GS01.file("/home/alice/data/made-inside")
    assert made.user == "alice"


def test_cp_in_and_out_with_the_students_own_rights():
    ok(as_user("alice", "echo note-from-alice > note.txt"))
    ok(iep("alice", "cp note.txt web:/tmp/"))
    assert ok(iep("alice", "exec web /bin/busybox cat /tmp/note.txt")).strip() == "note-from-alice"
    ok(iep("alice", "cp web:/www/index.html copy.html"))
    copied = GS01.file("/home/alice/copy.html")
    assert copied.user == "alice" and copied.content_string.strip() == "hello-from-alice"
    # writing where alice cannot write fails, even though ie-podman runs as root
    result = iep("alice", "cp web:/www/index.html /etc/ie-podman-evil")
    assert result.rc != 0
    assert not GS01.file("/etc/ie-podman-evil").exists
    # reading what alice cannot read fails too
    result = iep("alice", "cp /etc/shadow web:/tmp/")
    assert result.rc != 0
    assert iep("alice", "exec web /bin/busybox test -e /tmp/shadow").rc != 0


def test_sif_is_owned_by_the_student_and_runs_with_apptainer():
    as_user("alice", "rm -f web_latest.sif")
    path = ok(iep("alice", "sif web")).strip()
    assert path == "/home/alice/web_latest.sif"
    sif = GS01.file(path)
    assert sif.user == "alice"
    out = ok(as_user("alice", "apptainer exec web_latest.sif /bin/busybox cat /www/index.html"))
    assert out.strip() == "hello-from-alice"
    # the seeds' job scripts say singularity
    out = ok(as_user("alice", "singularity exec web_latest.sif /bin/busybox id -u"))
    assert out.strip() == "2001"


def test_pool_exhaustion_and_addresses_coming_back():
    first = ok(iep("alice", "run --detach --ip --name second web")).split()[1]
    result = iep("alice", "run --detach --ip --name third web")
    assert result.rc == 125 and "no free address" in result.stderr
    assert GS01.run("podman container exists alice_third").rc == 1
    ok(iep("alice", "rm --force second"))
    assert first not in {x["address"] for x in leases()}
    again = ok(iep("alice", "run --detach --ip --name second web")).split()[1]
    assert again == first


def test_admin_reclaims_addresses_of_stopped_containers():
    addr = next(x["address"] for x in leases() if x["container"] == "alice_second")
    ok(iep("alice", "stop --time 1 second"))
    ok(GS01.run("ie-podman admin reclaim --older-than 0"))
    assert addr not in {x["address"] for x in leases()}
    out = ok(iep("alice", "start second"))
    assert "new department address" in out
    assert "alice_second" in {x["container"] for x in leases()}
    ok(iep("alice", "rm --force second"))


def test_quota_stops_the_next_container():
    ok(iep("bob", "run --detach --name two site"))  # bob's limit is 2
    result = iep("bob", "run --detach --name three site")
    assert result.rc == 125 and "your limit" in result.stderr
    assert GS01.run("podman container exists bob_three").rc == 1
    ok(iep("bob", "rm --force two"))


def test_a_student_removes_her_own_image_and_only_that():
    make_context("alice", "scratch-copy")
    ok(iep("alice", "build --tag scratch ctx"))
    assert ok(iep("alice", "rmi scratch")).strip() == "scratch"
    images = [i["image"] for i in json.loads(ok(iep("alice", "images --format json")))]
    assert "scratch:latest" not in images and "web:latest" in images
    assert json.loads(ok(iep("bob", "images --format json")))[0]["image"] == "site:latest"


def untagged(user):
    uid = GS01.check_output(f"id -u {user}")
    return GS01.check_output(
        f"podman images --quiet --no-trunc --filter dangling=true --filter label=ie.owner.uid={uid}"
    ).split()


def test_images_a_rebuild_left_without_a_name_never_hold_a_student_at_her_limit():
    """Rebuilding one tag leaves the old image untagged (not listed, not
    removable by name). At her limit (3), build removes hers that no
    container uses, with Podman's own prune; bob's are never touched."""
    for greeting in ("bob-1", "bob-2"):
        make_context("bob", greeting)
        ok(iep("bob", "build --no-cache --tag tmp ctx"))
    bobs = untagged("bob")
    assert len(bobs) == 1
    for round_ in range(4):  # alice has web, then tmp: the third image is an old tmp
        make_context("alice", f"alice-{round_}")
        ok(iep("alice", "build --no-cache --tag tmp ctx"))
        images = [i["image"] for i in json.loads(ok(iep("alice", "images --format json")))]
        assert sorted(images) == ["tmp:latest", "web:latest"]
        assert len(untagged("alice")) <= 1
    assert untagged("bob") == bobs
    for user in ("alice", "bob"):
        ok(iep(user, "rmi tmp"))


def test_rm_gives_the_address_back():
    ok(iep("bob", "rm --force web"))
    assert "bob_web" not in {x["container"] for x in leases()}


def test_only_students_and_only_through_sudo():
    no_sudo = as_user("alice", "ie-podman ps")
    assert no_sudo.rc == 7 and "sudo" in no_sudo.stderr
    carol = iep("carol", "ps")
    assert carol.rc != 0 and GS01.run('grep -c \'"user": "carol"\' ' + AUDIT).stdout.strip() in (
        "0",
        "",
    )
    assert iep("alice", "admin leases").rc == 3


def test_every_action_is_audited():
    lines = [json.loads(x) for x in GS01.file(AUDIT).content_string.splitlines()]
    assert any(x["user"] == "alice" and x["command"] == "build" for x in lines)
    assert any(x["user"] == "bob" and x["outcome"] == "NotFound" for x in lines)
    assert any(x["user"] == "alice" and x["outcome"] == "Refused" for x in lines)
    assert GS01.file(AUDIT).mode == 0o600


def test_help_and_version():
    assert "exit status" in ok(iep("alice", "--help"))
    assert "--ip" in ok(iep("alice", "run --help"))
    assert ok(iep("alice", "version")).startswith("ie-podman ")
