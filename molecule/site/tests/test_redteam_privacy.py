"""Issue 21's red team: one student's data, the services' secrets, sockets and
state (conftest.py says how the red team acts)."""

import json
import shlex

from students import (
    GS01,
    IMAGES,
    LIMITED,
    OWNER,
    THIRD,
    VIRSH,
    as_user,
    iep,
    iev,
    ok,
    uid,
)

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
    # Podman's API socket: closed to the student, or not there at all
    connect = (
        "python3 -c 'import socket\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        '    s.connect("/run/podman/podman.sock")\n'
        '    print("connected")\n'
        "except OSError as e:\n"
        "    print(type(e).__name__)'"
    )
    assert ok(as_user(THIRD, connect)).strip() in ("PermissionError", "FileNotFoundError")
    others = json.loads(ok(iev(THIRD, "list --all --format json")))
    assert f"{OWNER}_private" not in json.dumps(others)
    ok(iev(OWNER, "undefine private"))


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
    # sshd on a local socket (systemd-ssh-generator, on a server booted with
    # openssh-server, as Debian's installer leaves it): the same sshd_config,
    # AllowGroups and keys as port 22, which students reach anyway.
    "/run/ssh-unix-local/socket",
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


def test_a_pushed_image_comes_back_to_its_owner_only():
    """ie-podman pull (issue 25): the owner gets her pushed image back from the
    department registry; another student naming it reaches his own namespace
    there, finds nothing, and nothing of hers appears on the host."""
    ok(iep(OWNER, "build --tag pulled rt"))
    ok(iep(OWNER, "registry push pulled"))
    ok(iep(OWNER, "rmi pulled"))
    assert "pulled" not in ok(iep(OWNER, "images"))
    assert ok(iep(OWNER, "pull pulled")).strip() == "pulled:latest"
    images = json.loads(ok(iep(OWNER, "images --format json")))
    assert "pulled:latest" in [i["image"] for i in images]
    other = iep(THIRD, "pull pulled")
    assert other.rc == 4 and "no image 'pulled' of yours" in other.stderr, other.stderr
    assert "pulled" not in ok(iep(THIRD, "images"))
    names = GS01.check_output("podman images --format '{{.Repository}}'").split()
    assert [n for n in names if n.endswith("/pulled")] == [f"localhost/{OWNER}/pulled"]
    ok(iep(OWNER, "rmi pulled"))


def test_a_shared_image_reaches_the_student_it_was_shared_with_only():
    """registry share (issue 25): the owner shares an image with one student,
    who pulls it as OWNER/IMAGE and gets a copy of their own to run; another
    student is refused, and after unshare so is the first."""
    ok(iep(OWNER, "build --tag gift rt"))
    try:
        ok(iep(OWNER, f"registry share gift {THIRD}"))
        other = iep(LIMITED, f"pull {OWNER}/gift")
        assert other.rc == 4 and f"{OWNER} has not shared 'gift' with you" in other.stderr, (
            other.stderr
        )
        assert "gift" not in ok(iep(LIMITED, "images"))
        assert ok(iep(THIRD, f"pull {OWNER}/gift")).strip() == "gift:latest"
        images = json.loads(ok(iep(THIRD, "images --format json")))
        assert "gift:latest" in [i["image"] for i in images]
        ran = ok(iep(THIRD, "run --rm --name giftcheck gift /bin/busybox id -u"))
        assert ran.strip() == "0"  # root in the container: the user namespace's
        labels = GS01.check_output(
            "podman image inspect --format '{{index .Labels \"ie.owner.uid\"}}' "
            f"localhost/{THIRD}/gift:latest"
        )
        assert labels.strip() == str(uid(THIRD))
        ok(iep(OWNER, f"registry unshare gift {THIRD}"))
        ok(iep(THIRD, "rmi gift"))
        again = iep(THIRD, f"pull {OWNER}/gift")
        assert again.rc == 4, again.stderr
    finally:
        iep(THIRD, "rmi gift")
        iep(OWNER, f"registry unshare gift {THIRD}")
        iep(OWNER, "rmi gift")


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
