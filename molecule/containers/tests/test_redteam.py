"""Issue 21: the wrappers hold against students who try to break them.

Two or three directory-style students (alice, bob, carol) on real Podman and
libvirt in ctr-gs01, each attack tried as the student through sudo. Every
case shows the refusal and that nothing changed on the host. The module
builds its own images and template and removes what it made.
"""

import json
import shlex

import pytest
from students import GS01, as_user, ok, wrapper

testinfra_hosts = ["podman://ctr-gs01"]
TEMPLATES = "/var/lib/ie-virsh/templates"
IMAGES = "/var/lib/ie-virsh/images"
VIRSH = "virsh -c qemu:///system"
CONTAINERFILE = (
    "FROM scratch\\nCOPY busybox /bin/busybox\\n"
    'RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/data"]\\n'
    'CMD ["/bin/busybox", "sleep", "600"]\\n'
)


def iep(user, args):
    return wrapper("ie-podman", user, args)


def iev(user, args):
    return wrapper("ie-virsh", user, args)


def host_state():
    """What an attack must not change: containers, domains, key files."""
    return GS01.check_output(
        "podman ps -a --format '{{.Names}} {{.State}}' | sort; "
        f"{VIRSH} list --all --name | sort; "
        "sha256sum /etc/shadow /etc/passwd /etc/sudoers /etc/ie/ie-podman.json; "
        "podman images --format '{{.Repository}}:{{.Tag}}' | sort; ls -A /root"
    )


@pytest.fixture(scope="module", autouse=True)
def setup():
    for user, image in (("alice", "box"), ("bob", "box")):
        as_user(user, "rm -rf rt && mkdir -p rt && cp /bin/busybox rt/")
        ok(as_user(user, f"printf '{CONTAINERFILE}' > rt/Containerfile"))
        ok(iep(user, f"build --tag {image} rt"))
    ok(as_user("alice", "mkdir -p data && echo alice-data > data/marker && chmod 700 ~"))
    GS01.check_output(f"qemu-img create -q -f qcow2 {TEMPLATES}/rt.qcow2 64M")
    yield
    for user in ("alice", "bob"):
        for c in json.loads(ok(iep(user, "ps --all --format json"))):
            iep(user, f"rm --force {c['name']}")
        for d in json.loads(ok(iev(user, "list --all --format json"))):
            iev(user, f"destroy {d['name']}")
            iev(user, f"undefine {d['name']}")
        iep(user, "rmi box")
    GS01.run(f"rm -f {TEMPLATES}/rt.qcow2 /etc/containers/containers.conf.d/zz-redteam.conf")


# -- 1. option smuggling --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        "run -- --privileged -v /:/host box /bin/busybox cat /host/etc/shadow",
        "run --rm -- -v /:/host box",
        "run -d -- --uidmap=0:0:1 box",
        "run -- --authfile=/etc/ie/ie-podman-registry-auth.json box",
        "run -itv/:/h box",
        "run -dv/etc:/h box",
        "run --name=x --network=host box",
        "run --label ie.owner.uid=2002 box",
        "run --label=IE.owner.user=bob box",
        "run -- localhost/bob/box",
        "run localhost/bob/box:latest",
        "run $'box\\n'",
        "run --name $'x\\n' box",
        "run -e $'A=1\\n--privileged' box",
        "run --user $'0\\n' box",
        "run --gpus all box",
        "run --memory 100g box",
        "exec -- --privileged web true",
        "build --tag $'x\\n' rt",
        "build --tag x -- --network=host rt",
    ],
)
def test_smuggled_options_are_refused_and_nothing_changes(args):
    before = host_state()
    # (timeout: were one of these let through, its container would sleep for minutes)
    result = as_user("alice", f"timeout 60 sudo -n ie-podman {args}")
    assert result.rc in (2, 3, 4), (result.rc, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert host_state() == before


def test_the_image_reaches_podman_by_id_and_the_audit_shows_what_ran():
    ok(iep("alice", "run --rm --name idcheck box /bin/busybox true"))
    line = [
        json.loads(x)
        for x in GS01.file("/var/log/ie-podman/audit.log").content_string.splitlines()
        if '"run"' in x and "idcheck" in x
    ][-1]
    image_id = GS01.check_output("podman image inspect --format '{{.Id}}' localhost/alice/box")
    assert "container=alice_idcheck" in line["detail"]
    assert f"-- {image_id}" in line["detail"]
    assert "--security-opt=no-new-privileges" in line["detail"]


# -- 2. recipes are read the way the builder reads them ------------------------------------


@pytest.mark.parametrize(
    ("recipe", "status"),
    [
        ("FROM localhost/bob/box", 4),
        ("FROM scratch\nCOPY \\\n# a comment\n  --from=localhost/bob/box /bin/busybox /b", 4),
        ("# escape=`\nFROM scratch\nRUN `\n  --mount=type=bind,from=localhost/bob/box ls", 4),
        ("FROM scratch\nRUN \\   \n  --mount=type=cache,target=/c true", 3),
        ("FROM scratch\nRUN \\\n\n--mount=type=secret,id=x true", 3),
    ],
)
def test_containerfile_spellings_are_refused_on_the_real_builder(recipe, status):
    as_user("alice", "rm -rf sp && mkdir sp && cp /bin/busybox sp/")
    ok(as_user("alice", f"printf %s {shlex.quote(recipe + chr(10))} > sp/Containerfile"))
    before = host_state()
    result = iep("alice", "build --tag spelled sp")
    assert result.rc == status, (result.rc, result.stderr)
    assert host_state() == before


# -- 1. inspect after create ----------------------------------------------------------------


def test_every_allowed_option_passes_the_check_on_real_podman():
    out = ok(
        iep(
            "alice",
            # (--memory and --cpus need cgroups, which this nested Podman has not)
            "run --rm -e A=1 --label k=v -w /tmp -u 0 -h box1 "
            "-v ./data:/data:ro box /bin/busybox sh -c 'cat /data/marker; hostname'",
        )
    )
    assert out.split() == ["alice-data", "box1"]
    ok(iep("alice", "run -d --ip --name withip box"))
    ok(iep("alice", "rm --force withip"))


def test_a_container_podman_made_differently_is_removed():
    """An admin default (here an added capability) makes Podman create
    something ie-podman did not ask for: the check removes it."""
    GS01.check_output(
        "mkdir -p /etc/containers/containers.conf.d && printf '[containers]\\n"
        'default_capabilities = ["CHOWN", "SYS_ADMIN"]\\n'
        "' > /etc/containers/containers.conf.d/zz-redteam.conf"
    )
    try:
        before = host_state()
        result = iep("alice", "run -d --name capped box")
        assert result.rc == 3 and "capabilities" in result.stderr, result.stderr
        assert host_state() == before
    finally:
        GS01.check_output("rm -f /etc/containers/containers.conf.d/zz-redteam.conf")


# -- 3. limits taken as one step --------------------------------------------------------------


def parallel(user, args, n=8):
    """``n`` commands of ``user`` through sudo at once; returns when all ended."""
    jobs = " ".join(f"sudo -n {args.format(i=i)} >/dev/null 2>&1 &" for i in range(n))
    as_user(user, f"{{ {jobs} wait; }}")


def test_eight_parallel_runs_stay_within_the_container_limit():
    parallel("bob", "ie-podman run -d --name p{i} box")  # bob's limit is 2
    names = GS01.check_output("podman ps -a --filter label=ie.owner.uid=2002 --format '{{.Names}}'")
    assert len(names.split()) == 2, names
    for name in names.split():
        iep("bob", f"rm --force {name.split('_', 1)[1]}")


def test_eight_parallel_defines_stay_within_the_vm_limit():
    parallel("alice", "ie-virsh define v{i} --template rt --memory 64 --disk 1")  # limit 3
    mine = json.loads(ok(iev("alice", "list --all --format json")))
    assert len(mine) == 3, mine
    for d in mine:
        ok(iev("alice", f"undefine {d['name']}"))


def test_a_shrunk_running_vm_keeps_its_share():
    # alice: 3 vCPUs, 512 MiB in all (molecule.yml)
    ok(iev("alice", "define big --template rt --vcpus 2 --memory 64 --disk 1"))
    ok(iev("alice", "start big"))
    ok(iev("alice", "edit big --vcpus 1"))  # stored 1, live 2
    before = host_state()
    result = iev("alice", "define more --template rt --vcpus 2 --memory 64 --disk 1")
    assert result.rc == 5, result.stderr
    assert host_state() == before
    listed = json.loads(ok(iev("alice", "list --format json")))
    assert listed[0]["vcpus"] == 2  # the live size
    ok(iev("alice", "destroy big"))
    ok(iev("alice", "undefine big"))


# -- 4. leases come back ----------------------------------------------------------------------


def test_addresses_of_ended_rm_containers_come_back():
    # the pool has three addresses; three --rm containers end at once
    for i in range(3):
        ok(iep("alice", f"run -d --rm --ip --name gone{i} box /bin/busybox true"))
    as_user("alice", "sleep 3")
    out = ok(iep("alice", "run -d --ip --name kept box")).split()
    assert len(out) == 2  # name and address: the pool was not used up
    leases = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    assert [x["container"] for x in leases] == ["alice_kept"]
    ok(iep("alice", "rm --force kept"))


# -- 5. root never follows a path a student can change -----------------------------------------


def test_a_volume_swapped_for_a_link_in_a_loop_never_mounts_etc():
    as_user(
        "alice",
        "rm -rf swap swap.real stop-swap && mkdir swap.real && echo mine > swap.real/marker",
    )
    # swap is by turns alice's own directory and a link to /etc
    swapper = (
        "end=$((SECONDS+60)); while [ ! -e stop-swap ] && [ $SECONDS -lt $end ]; do "
        "rm -f swap; mv -T swap.real swap; mv -T swap swap.real; ln -sfn /etc swap; done"
    )
    as_user("alice", f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    seen = []
    try:
        for _ in range(12):
            result = iep("alice", "run --rm -v ./swap:/x box /bin/busybox ls /x")
            assert "Traceback" not in result.stderr
            seen.append((result.rc, result.stdout.split(), result.stderr.strip()[-200:]))
    finally:
        as_user("alice", "touch stop-swap; sleep 1")
    for rc, out, err in seen:
        assert "shadow" not in out and "passwd" not in out, seen
        # done with alice's own directory, or refused (2, 3), or Podman found
        # nothing at the name when it made the container (1): never /etc
        assert (rc == 0 and out == ["marker"]) or rc in (1, 2, 3), (rc, out, err)
    assert not GS01.check_output(
        "podman ps -a --filter label=ie.owner.uid=2001 --format '{{.Names}}'"
    ).strip()


def test_the_gdb_socket_cannot_be_swapped_and_its_target_is_left_alone():
    ok(as_user("alice", "echo secret > victim && chmod 600 victim"))
    ok(iev("alice", "define kern2 --template rt --memory 64 --disk 1 -gdb"))
    swapper = (
        "end=$((SECONDS+8)); while [ $SECONDS -lt $end ]; do "
        "ln -sf ~/victim /run/ie-virsh/alice/kern2.gdb 2>/dev/null; done"
    )
    as_user("alice", f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    result = iev("alice", "start kern2")
    as_user("alice", "sleep 9")
    assert not GS01.file("/run/ie-virsh/alice/kern2.gdb").is_symlink
    assert result.rc in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    victim = GS01.file("/home/alice/victim")
    assert (victim.user, victim.mode) == ("alice", 0o600)
    GS01.run(f"{VIRSH} destroy alice_kern2")
    ok(iev("alice", "undefine kern2"))


# -- 6. one student's data is closed to the others ----------------------------------------------


def test_disks_domains_and_state_are_closed_to_other_students():
    ok(iev("alice", "define private --template rt --memory 64 --disk 1"))
    disk = GS01.file(f"{IMAGES}/alice_private.qcow2")
    assert disk.mode == 0o600
    assert as_user("bob", f"head -c1 {IMAGES}/alice_private.qcow2").rc != 0
    assert GS01.file("/run/libvirt/libvirt-sock-ro").mode == 0o600
    listing = as_user("bob", f"{VIRSH.replace('qemu:///system', 'qemu:///system -r')} list --all")
    assert listing.rc != 0 and "alice_private" not in listing.stdout
    for path in ("/var/lib/ie-podman", "/var/log/ie-podman", "/var/log/ie-virsh"):
        assert as_user("bob", f"ls {path}").rc != 0, path
    assert as_user("bob", "curl -s --unix-socket /run/podman/podman.sock http://d/_ping").rc != 0
    ok(iev("alice", "undefine private"))


# -- 7. root's memory stays bounded -------------------------------------------------------------

PEAK = r"""
import os, subprocess, sys, time
proc = subprocess.Popen(sys.argv[1:])
peak = 0
def descendants(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for kid in kids:
            out += [int(kid)] + descendants(int(kid))
    return out
while proc.poll() is None:
    for pid in descendants(proc.pid):
        try:
            cmd = open(f"/proc/{pid}/cmdline").read()
            if "python" in cmd and "ie-podman" in cmd:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    time.sleep(0.05)
print(proc.returncode, peak)
"""


def test_copying_a_large_sparse_file_keeps_roots_memory_small():
    ok(iep("alice", "run -d --name sink box"))
    ok(as_user("alice", "truncate -s 512M big.img"))
    GS01.check_output(f"printf %s {shlex.quote(PEAK)} > /tmp/peak.py")
    out = ok(
        as_user("alice", "python3 /tmp/peak.py sudo -n ie-podman cp big.img sink:/tmp/")
    ).split()
    rc, peak_kib = int(out[0]), int(out[1])
    assert rc == 0
    assert 0 < peak_kib < 100 * 1024, f"root's ie-podman reached {peak_kib} KiB"
    ok(iep("alice", "rm --force sink"))
    as_user("alice", "rm -f big.img")
