"""Issue 21: the wrappers hold against students who try to break them.

Three of the directory's students (molecule/site/tests/students.py) on gs01
of the whole site: SSSD accounts, homes on CephFS, real Podman and libvirt,
each attack tried as the student through sudo, two or three at once where
the attack is a race. Every case shows the refusal and that nothing changed
on the host. The module builds its own images and template and removes what
it made.
"""

import ipaddress
import json
import shlex

import pytest
from students import (
    GS01,
    GS02,
    LIMITED,
    OWNER,
    THIRD,
    as_user,
    as_user_on,
    config,
    ok,
    uid,
    wrapper,
)

testinfra_hosts = ["podman://gs01"]
VIRSH = "virsh -c qemu:///system"
# The container's command ends on SIGTERM (a shell as PID 1 with a trap),
# so stopping and removing takes no stop timeout.
CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/data"]
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 600 & wait"]
"""
STUDENTS = (OWNER, LIMITED, THIRD)


def iep(user, args):
    return wrapper("ie-podman", user, args)


def iev(user, args):
    return wrapper("ie-virsh", user, args)


def virsh_dirs():
    cfg = config("ie-virsh")
    return cfg.get("templates_dir", "/var/lib/ie-virsh/templates"), cfg.get(
        "images_dir", "/var/lib/ie-virsh/images"
    )


TEMPLATES, IMAGES = virsh_dirs()


def host_state():
    """What an attack must not change: containers, domains, key files, leases."""
    return GS01.check_output(
        "podman ps -a --format '{{.Names}} {{.State}}' | sort; "
        f"{VIRSH} list --all --name | sort; "
        "sha256sum /etc/shadow /etc/passwd /etc/sudoers /etc/ie/ie-podman.json; "
        "podman images --format '{{.Repository}}:{{.Tag}}' | sort; ls -A /root; "
        "ie-podman admin leases --format json"
    )


def owned(user):
    """The names of ``user``'s containers, as Podman labels them."""
    out = GS01.check_output(
        f"podman ps -a --filter label=ie.owner.uid={uid(user)} --format '{{{{.Names}}}}'"
    )
    return out.split()


@pytest.fixture(scope="module", autouse=True)
def setup():
    assert GS01.file("/bin/busybox").exists, "the journey installs busybox-static"
    for user in STUDENTS:
        as_user(user, "rm -rf rt && mkdir -p rt && cp /bin/busybox rt/")
        ok(as_user(user, f"printf %s {shlex.quote(CONTAINERFILE)} > rt/Containerfile"))
        ok(iep(user, "build --tag box rt"))
    ok(as_user(OWNER, "mkdir -p data && echo owner-data > data/marker && chmod 700 ~"))
    GS01.check_output(f"qemu-img create -q -f qcow2 {TEMPLATES}/rt.qcow2 64M")
    yield
    for user in STUDENTS:
        for c in json.loads(ok(iep(user, "ps --all --format json"))):
            iep(user, f"rm --force {c['name']}")
        for d in json.loads(ok(iev(user, "list --all --format json"))):
            iev(user, f"destroy {d['name']}")
            iev(user, f"undefine {d['name']}")
        for image in json.loads(ok(iep(user, "images --format json"))):
            iep(user, f"rmi {shlex.quote(image['image'])}")
        as_user(user, "rm -rf rt sp b? swap swap.real stop-swap victim big.img")
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
        "run --label ie.owner.uid={limited_uid} box",
        "run --label=IE.owner.user={limited} box",
        "run -- localhost/{limited}/box",
        "run localhost/{limited}/box:latest",
        "run $'box\\n'",
        "run --name $'x\\n' box",
        "run -e $'A=1\\n--privileged' box",
        "run --user $'0\\n' box",
        "run --gpus all box",
        "run --memory 9999g box",
        "exec -- --privileged web true",
        "build --tag $'x\\n' rt",
        "build --tag x -- --network=host rt",
    ],
)
def test_smuggled_options_are_refused_and_nothing_changes(args):
    args = args.format(limited=LIMITED, limited_uid=uid(LIMITED))
    before = host_state()
    # (timeout: were one of these let through, its container would sleep for minutes)
    result = as_user(OWNER, f"timeout 60 sudo -n ie-podman {args}")
    assert result.rc in (2, 3, 4), (result.rc, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert host_state() == before


def test_the_image_reaches_podman_by_id_and_the_audit_shows_what_ran():
    ok(iep(OWNER, "run --rm --name idcheck box /bin/busybox true"))
    line = [
        json.loads(x)
        for x in GS01.file("/var/log/ie-podman/audit.log").content_string.splitlines()
        if '"run"' in x and "idcheck" in x
    ][-1]
    image_id = GS01.check_output(
        f"podman image inspect --format '{{{{.Id}}}}' localhost/{OWNER}/box"
    )
    assert f"container={OWNER}_idcheck" in line["detail"]
    assert f"-- {image_id}" in line["detail"]
    assert "--security-opt=no-new-privileges" in line["detail"]


# -- 2. recipes are read the way the builder reads them ------------------------------------


@pytest.mark.parametrize(
    ("recipe", "status"),
    [
        ("FROM localhost/{other}/box", 4),
        ("FROM scratch\nCOPY \\\n# a comment\n  --from=localhost/{other}/box /bin/busybox /b", 4),
        ("# escape=`\nFROM scratch\nRUN `\n  --mount=type=bind,from=localhost/{other}/box ls", 4),
        ("FROM scratch\nRUN \\   \n  --mount=type=cache,target=/c true", 3),
        ("FROM scratch\nRUN \\\n\n--mount=type=secret,id=x true", 3),
    ],
)
def test_containerfile_spellings_are_refused_on_the_real_builder(recipe, status):
    recipe = recipe.replace("{other}", LIMITED)
    as_user(OWNER, "rm -rf sp && mkdir sp && cp /bin/busybox sp/")
    ok(as_user(OWNER, f"printf %s {shlex.quote(recipe + chr(10))} > sp/Containerfile"))
    before = host_state()
    result = iep(OWNER, "build --tag spelled sp")
    assert result.rc == status, (result.rc, result.stderr)
    assert host_state() == before


# -- 1. inspect after create ----------------------------------------------------------------


def test_every_allowed_option_passes_the_check_on_real_podman():
    out = ok(
        iep(
            OWNER,
            # (--memory and --cpus need cgroups, which this nested Podman has not)
            "run --rm -e A=1 --label k=v -w /tmp -u 0 -h box1 "
            "-v ./data:/data:ro box /bin/busybox sh -c 'cat /data/marker; hostname'",
        )
    )
    assert out.split() == ["owner-data", "box1"]
    ok(iep(OWNER, "run -d --ip --name withip box"))
    ok(iep(OWNER, "rm --force withip"))


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
        result = iep(OWNER, "run -d --name capped box")
        assert result.rc == 3 and "capabilities" in result.stderr, result.stderr
        assert host_state() == before
    finally:
        GS01.check_output("rm -f /etc/containers/containers.conf.d/zz-redteam.conf")


# -- 3. limits taken as one step: eight commands at once, two students at once -------------


def parallel(*batches):
    """Each batch is (user, command, n): every command of every batch runs
    through sudo at the same time; returns when all have ended."""
    jobs = []
    for user, args, n in batches:
        inner = " ".join(f"sudo -n {args.format(i=i)} >/dev/null 2>&1 &" for i in range(n))
        jobs.append(f"su - {user} -c {shlex.quote(inner + ' wait')} &")
    GS01.run(f"{{ {' '.join(jobs)} wait; }}")


def limited_quota():
    return config("ie-podman")["user_quotas"][LIMITED]


def test_eight_parallel_runs_stay_within_the_container_limit():
    limit = limited_quota()["containers"]
    parallel((LIMITED, "ie-podman run -d --name p{i} box", 8))
    assert len(owned(LIMITED)) == limit, owned(LIMITED)
    for name in owned(LIMITED):
        ok(iep(LIMITED, f"rm --force {name.split('_', 1)[1]}"))


def test_eight_parallel_builds_stay_within_the_image_limit():
    limit = limited_quota()["images"]
    had = len(json.loads(ok(iep(LIMITED, "images --format json"))))
    for i in range(8):  # eight different images: a label each
        label = f"echo 'LABEL n={i}' >> b{i}/Containerfile"
        ok(as_user(LIMITED, f"rm -rf b{i} && cp -r rt b{i} && {label}"))
    parallel((LIMITED, "ie-podman build --tag img{i} b{i}", 8))
    mine = json.loads(ok(iep(LIMITED, "images --format json")))
    assert len(mine) == limit > had, mine
    podman_side = GS01.check_output(
        f"podman images --filter label=ie.owner.uid={uid(LIMITED)} --format '{{{{.Id}}}}' | sort -u"
    )
    assert len(podman_side.split()) == limit, podman_side
    for image in mine:
        if image["image"].startswith("img"):
            ok(iep(LIMITED, f"rmi {image['image']}"))


def test_addresses_raced_by_two_students_are_distinct_and_within_the_limit():
    cfg = config("ie-podman")
    pool = range(
        int(ipaddress.ip_address(cfg["pool_start"])), int(ipaddress.ip_address(cfg["pool_end"])) + 1
    )
    parallel(
        (LIMITED, "ie-podman run -d --ip --name a{i} box", 8),
        (THIRD, "ie-podman run -d --ip --name a{i} box", 4),
    )
    leases = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    ours = {
        x["container"]: x["address"]
        for x in leases
        if x["container"].split("_")[0] in (LIMITED, THIRD)
    }
    # student3's leases count against their container limit; student2 got all four
    assert sorted(ours) == sorted(owned(LIMITED) + owned(THIRD)), (ours, leases)
    assert len(owned(LIMITED)) == limited_quota()["containers"] and len(owned(THIRD)) == 4, ours
    addresses = [x["address"] for x in leases]
    assert len(set(addresses)) == len(addresses), leases
    assert all(int(ipaddress.ip_address(a)) in pool for a in ours.values()), ours
    for user in (LIMITED, THIRD):
        for name in owned(user):
            ok(iep(user, f"rm --force {name.split('_', 1)[1]}"))
    remaining = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    assert not [x for x in remaining if x["container"] in ours], remaining


def test_limits_are_per_server():
    """The documented choice: a student's limits hold on each general server
    by itself (each has its own Podman, libvirt, locks and counts)."""
    limit = limited_quota()["containers"]
    for i in range(limit):
        ok(iep(LIMITED, f"run -d --name full{i} box"))
    before = host_state()
    assert iep(LIMITED, "run -d --name over box").rc == 5
    assert host_state() == before
    # the same student on gs02, with none there: the first is accepted
    there = as_user_on(GS02, LIMITED, "sudo -n ie-podman ps --all --format json")
    assert json.loads(ok(there)) == []
    build = (
        f"mkdir -p rt2 && cp /bin/busybox rt2/ && printf %s {shlex.quote(CONTAINERFILE)} "
        "> rt2/Containerfile && sudo -n ie-podman build --tag box rt2 >/dev/null && "
        "sudo -n ie-podman run -d --name elsewhere box && sudo -n ie-podman rm --force elsewhere"
        " && sudo -n ie-podman rmi box; rm -rf rt2"
    )
    ok(as_user_on(GS02, LIMITED, build))
    for i in range(limit):
        ok(iep(LIMITED, f"rm --force full{i}"))


def defined(user):
    return json.loads(ok(iev(user, "list --all --format json")))


@pytest.mark.parametrize(
    ("define", "key", "each"),
    [
        ("--memory 64 --disk 1", "vms", 1),
        ("--vcpus 2 --memory 64 --disk 1", "vcpus", 2),
        ("--memory 512 --disk 1", "memory_mib", 512),
        ("--memory 64 --disk 3", "disk_gib", 3),
    ],
    ids=["vms", "vcpus", "memory", "disk"],
)
def test_eight_parallel_defines_stay_within_each_vm_limit(define, key, each):
    limit = config("ie-virsh")["user_limits"][LIMITED][key]
    parallel((LIMITED, f"ie-virsh define v{{i}} --template rt {define}", 8))
    mine = defined(LIMITED)
    assert len(mine) == limit // each, mine
    for d in mine:
        ok(iev(LIMITED, f"undefine {d['name']}"))


def test_a_shrunk_running_vm_keeps_its_share():
    vcpus = config("ie-virsh")["user_limits"][LIMITED]["vcpus"]  # 3
    ok(iev(LIMITED, f"define big --template rt --vcpus {vcpus - 1} --memory 64 --disk 1"))
    ok(iev(LIMITED, "start big"))
    ok(iev(LIMITED, "edit big --vcpus 1"))  # stored 1, live vcpus - 1
    before = host_state()
    result = iev(LIMITED, "define more --template rt --vcpus 2 --memory 64 --disk 1")
    assert result.rc == 5, result.stderr
    assert host_state() == before
    listed = json.loads(ok(iev(LIMITED, "list --format json")))
    assert listed[0]["vcpus"] == vcpus - 1  # the live size
    ok(iev(LIMITED, "destroy big"))
    ok(iev(LIMITED, "undefine big"))


# -- 4. leases come back ----------------------------------------------------------------------


def test_addresses_of_ended_rm_containers_come_back():
    for i in range(3):
        ok(iep(OWNER, f"run -d --rm --ip --name gone{i} box /bin/busybox true"))
    as_user(OWNER, "sleep 3")
    out = ok(iep(OWNER, "run -d --ip --name kept box")).split()
    assert len(out) == 2  # name and address
    leases = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    assert [x["container"] for x in leases if x["container"].startswith(f"{OWNER}_")] == [
        f"{OWNER}_kept"
    ], leases
    ok(iep(OWNER, "rm --force kept"))


# -- 5. root never follows a path a student can change -----------------------------------------


def test_a_volume_swapped_for_a_link_in_a_loop_never_mounts_etc():
    as_user(
        OWNER, "rm -rf swap swap.real stop-swap && mkdir swap.real && echo mine > swap.real/marker"
    )
    # swap is by turns the student's own directory (on CephFS) and a link to /etc
    swapper = (
        "end=$((SECONDS+60)); while [ ! -e stop-swap ] && [ $SECONDS -lt $end ]; do "
        "rm -f swap; mv -T swap.real swap; mv -T swap swap.real; ln -sfn /etc swap; done"
    )
    as_user(OWNER, f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    seen = []
    try:
        for _ in range(12):
            result = iep(OWNER, "run --rm -v ./swap:/x box /bin/busybox ls /x")
            assert "Traceback" not in result.stderr
            seen.append((result.rc, result.stdout.split(), result.stderr.strip()[-200:]))
    finally:
        as_user(OWNER, "touch stop-swap; sleep 1")
    for rc, out, err in seen:
        assert "shadow" not in out and "passwd" not in out, seen
        # done with the student's own directory, or refused (2, 3), or Podman
        # found nothing at the name when it made the container (1): never /etc
        assert (rc == 0 and out == ["marker"]) or rc in (1, 2, 3), (rc, out, err)
    assert not owned(OWNER)


def test_the_gdb_socket_cannot_be_swapped_and_its_target_is_left_alone():
    ok(as_user(OWNER, "echo secret > victim && chmod 600 victim"))
    ok(iev(OWNER, "define kern2 --template rt --memory 64 --disk 1 -gdb"))
    swapper = (
        "end=$((SECONDS+8)); while [ $SECONDS -lt $end ]; do "
        f"ln -sf ~/victim /run/ie-virsh/{OWNER}/kern2.gdb 2>/dev/null; done"
    )
    as_user(OWNER, f"(nohup bash -c {shlex.quote(swapper)} >/dev/null 2>&1 &)")
    result = iev(OWNER, "start kern2")
    as_user(OWNER, "sleep 9")
    assert not GS01.file(f"/run/ie-virsh/{OWNER}/kern2.gdb").is_symlink
    assert result.rc in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    victim = GS01.file(f"/home/{OWNER}/victim")
    assert (victim.user, victim.mode) == (OWNER, 0o600)
    GS01.run(f"{VIRSH} destroy {OWNER}_kern2")
    ok(iev(OWNER, "undefine kern2"))


# -- 6. one student's data is closed to the others ----------------------------------------------


def test_disks_domains_homes_and_state_are_closed_to_other_students():
    ok(iev(OWNER, "define private --template rt --memory 64 --disk 1"))
    disk = GS01.file(f"{IMAGES}/{OWNER}_private.qcow2")
    assert disk.mode == 0o600
    assert as_user(THIRD, f"head -c1 {IMAGES}/{OWNER}_private.qcow2").rc != 0
    assert as_user(THIRD, f"ls /home/{OWNER} || cat /home/{OWNER}/data/marker").rc != 0
    assert GS01.file("/run/libvirt/libvirt-sock-ro").mode == 0o600
    listing = as_user(THIRD, f"{VIRSH} -r list --all")
    assert listing.rc != 0 and f"{OWNER}_private" not in listing.stdout
    for path in ("/var/lib/ie-podman", "/var/log/ie-podman", "/var/log/ie-virsh"):
        assert as_user(THIRD, f"ls {path}").rc != 0, path
    assert as_user(THIRD, "curl -s --unix-socket /run/podman/podman.sock http://d/_ping").rc != 0
    others = json.loads(ok(iev(THIRD, "list --all --format json")))
    assert f"{OWNER}_private" not in json.dumps(others)
    ok(iev(OWNER, "undefine private"))


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
    ok(iep(OWNER, "run -d --name sink box"))
    ok(as_user(OWNER, "truncate -s 512M big.img"))
    GS01.check_output(f"printf %s {shlex.quote(PEAK)} > /tmp/peak.py")
    out = ok(as_user(OWNER, "python3 /tmp/peak.py sudo -n ie-podman cp big.img sink:/tmp/")).split()
    rc, peak_kib = int(out[0]), int(out[1])
    assert rc == 0
    assert 0 < peak_kib < 100 * 1024, f"root's ie-podman reached {peak_kib} KiB"
    ok(iep(OWNER, "rm --force sink"))
    as_user(OWNER, "rm -f big.img")
    GS01.run("rm -f /tmp/peak.py")


# -- 6. what the services leave open: Ceph, Apptainer, Podman, Slurm, libvirt ----------------

# Finds the files under the services' places whose contents are secrets: a
# private key, a Ceph key, a password, token or secret given a value, a
# registry login. Run as root it finds the cluster's secrets (the test
# checks that it does); run as a student it must find none. The wrappers'
# own source (/opt/ie) is public and names these words.
SECRET_SCAN = r"""
find /etc /var/lib /var/backups /var/spool /var/log /run /srv /opt /root /usr/local -xdev \
  -type f -size -2M -readable -not -path '/var/lib/dpkg/*' -not -path '/var/lib/apt/*' \
  -not -path '/opt/ie/*' 2>/dev/null | xargs -d '\n' grep -lIE \
  -e 'PRIVATE KEY-----' -e '^\s*key\s*=\s*AQ[A-Za-z0-9+/]{20}' \
  -e '(password|passwd|secret|token|authtok|StoragePass)\s*=\s*[^$[:space:]]\S{7}' \
  -e '"(auth|password|token)"\s*:\s*"[^"]{8}' 2>/dev/null | sort
"""
# Debian's own files whose examples look like secrets ("secret = pass:insta").
EXAMPLES = ("/etc/ssl/openssl.cnf",)
# Secrets the scan cannot read by content (binary), checked by name.
BINARY_SECRETS = ("/etc/munge/munge.key",)


def test_no_secret_of_a_service_is_readable_by_a_student():
    roots = set(GS01.check_output(f"bash -c {shlex.quote(SECRET_SCAN)}").split())
    # the scan sees what it must: Ceph's keys, the registry login, SSSD's
    # bind password, slurmdbd's database password, the host keys
    for path in (
        "/etc/ceph/ceph.client.admin.keyring",
        "/etc/ie/ie-podman-registry-auth.json",
        "/etc/sssd/sssd.conf",
        "/etc/slurm/slurmdbd.conf",
        "/etc/ssh/ssh_host_ed25519_key",
    ):
        assert path in roots, (path, roots)
    found = as_user(THIRD, f"bash -c {shlex.quote(SECRET_SCAN)}").stdout.split()
    assert [p for p in found if p not in EXAMPLES] == [], found
    for path in BINARY_SECRETS:
        assert GS01.file(path).exists
        assert as_user(THIRD, f"head -c1 {path}").rc != 0, path


# Sockets a student may connect to, each for a reason: the system bus and
# systemd's own services (each checks its caller), the journal, munge
# (Slurm's authentication: it tells the daemons who the caller is), SSSD's
# public responders (names and logins), uuidd, and MariaDB (slurmdbd's
# database), which authenticates every connection (the test shows a
# student is refused).
OPEN_SOCKETS = (
    "/run/dbus/system_bus_socket",
    "/run/systemd/journal/",
    "/run/systemd/notify",
    "/run/systemd/io.systemd.",
    "/run/systemd/userdb/",
    "/run/systemd/machine/",
    "/run/munge/munge.socket.2",
    "/var/lib/sss/pipes/nss",
    "/var/lib/sss/pipes/pam",
    "/var/lib/sss/pipes/autofs",
    "/var/lib/sss/pipes/ssh",
    "/run/uuidd/request",
    "/run/mysqld/mysqld.sock",
)


def test_the_services_sockets_are_closed_to_students():
    """Podman's, libvirt's (read-write and read-only), Ceph's admin sockets
    and everything not listed above refuse a student's connection."""
    found = as_user(
        THIRD, "find /run /var/run /var/lib /tmp /srv -xdev -type s -writable 2>/dev/null"
    ).stdout.split()
    mine = f"/run/user/{uid(THIRD)}/"
    assert sorted(p for p in found if not p.startswith((*OPEN_SOCKETS, mine))) == []
    # what the list closes, seen from the student
    assert GS01.file("/run/libvirt/libvirt-sock").mode == 0o600
    listing = as_user(THIRD, f"{VIRSH} list --all")
    assert listing.rc != 0 and "Permission denied" in listing.stderr, listing.stderr
    asoks = GS01.check_output("ls /run/ceph").split()
    assert any(name.startswith("ceph-mon.") for name in asoks), asoks
    assert as_user(THIRD, f"ceph --admin-daemon /run/ceph/{asoks[0]} version").rc != 0
    assert as_user(THIRD, "timeout 20 ceph -s --connect-timeout 5").rc != 0
    refused = as_user(THIRD, "mariadb -e 'select 1'")
    assert refused.rc != 0 and "Access denied" in refused.stderr, refused.stderr


def test_apptainer_runs_without_setuid_and_the_state_directories_are_closed():
    conf = GS01.file("/etc/apptainer/apptainer.conf").content_string
    assert "allow setuid = no" in conf.splitlines()
    setuid = GS01.check_output("find / -xdev -perm -4000 -type f 2>/dev/null").split()
    assert [p for p in setuid if "apptainer" in p or "singularity" in p] == [], setuid
    # the services' state: nothing in it that a student can read or list
    graphroot = GS01.check_output("podman info --format '{{.Store.GraphRoot}}'")
    runroot = GS01.check_output("podman info --format '{{.Store.RunRoot}}'")
    for path in (
        "/var/lib/ceph/mon",
        "/run/ceph",
        "/var/lib/ie-podman",
        "/var/log/ie-podman",
        "/var/log/ie-virsh",
        graphroot,
        runroot,
        "/var/lib/libvirt/qemu",
        "/etc/munge",
        "/var/spool/slurmctld",
        "/var/lib/sss/db",
        IMAGES,
    ):
        assert GS01.file(path).exists, path
        assert as_user(THIRD, f"ls {shlex.quote(path)}").rc != 0, path


def test_another_students_objects_are_named_but_never_readable():
    """A student's running VM and container: other students find files that
    carry its name (libvirt's logs and state, systemd's machine registry)
    but can read none of them, and ie-* lists nothing of it."""
    ok(iep(OWNER, "run -d --name seen box"))
    ok(iev(OWNER, "define seenvm --template rt --memory 64 --disk 1"))
    ok(iev(OWNER, "start seenvm"))
    try:
        readable = as_user(
            THIRD,
            f"find / -xdev -path '*{OWNER}*' -not -path /home -readable -type f 2>/dev/null",
        ).stdout.split()
        assert [p for p in readable if not p.startswith("/run/systemd/")] == [], readable
        assert OWNER not in ok(iep(THIRD, "ps --all")) + ok(iev(THIRD, "list --all"))
    finally:
        iev(OWNER, "destroy seenvm")
        iev(OWNER, "undefine seenvm")
        iep(OWNER, "rm --force seen")


def test_the_shared_places_a_student_can_write_are_only_the_usual_ones():
    """Outside their home, a student writes only where every Unix user does
    (the admin guide says what bounds each); nothing the roles or the
    wrappers made is among them (/run/ie-virsh was, once)."""
    found = as_user(
        THIRD,
        "find / -xdev \\( -path /proc -o -path /sys -o -path /home \\) -prune -o "
        "-type d -writable -print 2>/dev/null; "
        "find /run /tmp /dev/shm /var/tmp -maxdepth 2 -type d -writable 2>/dev/null",
    ).stdout.split()
    shared = {p for p in found if not p.startswith(("/tmp/.", f"/run/user/{uid(THIRD)}"))}
    assert shared == {"/tmp", "/var/tmp", "/dev/shm", "/run/lock"}, sorted(shared)
