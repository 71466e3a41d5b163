"""The student guide's runnable blocks, run as written by a student
(issue 25): the ie-podman and ie-virsh sessions of docs/student-guide.md
(the Japanese guide shows the same commands: tests/unit/test_student_guides.py);
and the admin guide's ie-podman block, as root.

Each block runs as one bash script that stops at its first failing line,
as alice through the real sudo rules; what the block needs beside it (a
Containerfile, a file to copy in, a template named as in the guide) is
made first (the template is the one the kvm role built), and the test
checks what the block left behind.
"""

import json
import shlex
import sys
from pathlib import Path

import pytest
from students import GS01, as_user, ok, wrapper

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tools.docs import runnable  # noqa: E402

testinfra_hosts = ["podman://ctr-gs01"]
GUIDE = runnable.blocks(ROOT / "docs" / "student-guide.md")
ADMIN = runnable.blocks(ROOT / "docs" / "admin-guide.md")
CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/www", "/tmp", "/var/log", "/bin"]
RUN ["/bin/busybox", "ln", "-s", "busybox", "/bin/sh"]
RUN ["/bin/busybox", "sh", "-c", "echo started > /var/log/app.log; echo hi > /www/index.html"]
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox httpd -f -p 8080 -h /www & wait"]
"""


def run_block(name):
    """The guide's block ``name`` as alice: the script in her home, run by
    bash; what a student would type into ``exec -it``'s shell is "exit"."""
    text = shlex.quote(runnable.script(GUIDE[name]))
    ok(as_user("alice", f"printf %s {text} > .guide-{name}.sh"))
    result = as_user("alice", f"printf 'exit\\n' | bash .guide-{name}.sh")
    as_user("alice", f"rm -f .guide-{name}.sh")
    assert result.rc == 0, f"the guide's {name} block failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def web_context():
    as_user("alice", "rm -rf web && mkdir web && cp /bin/busybox web/ && echo note > web/notes.txt")
    ok(as_user("alice", f"printf %s {shlex.quote(CONTAINERFILE)} > web/Containerfile"))
    yield
    # what a block that failed half-way left behind
    wrapper("ie-podman", "alice", "rm --force site")
    wrapper("ie-podman", "alice", "rmi web")
    as_user("alice", "rm -rf web web_latest.sif")


def test_the_guides_ie_podman_session_runs_as_written(web_context):
    out = run_block("ie-podman")
    assert "site" in out
    # what the block copied out is alice's, and what it made is gone again
    copied = GS01.file("/home/alice/web/app.log")
    assert copied.user == "alice" and copied.content_string.strip() == "started"
    sif = GS01.file("/home/alice/web_latest.sif")
    assert sif.exists and sif.user == "alice"
    assert json.loads(ok(wrapper("ie-podman", "alice", "ps --all --format json"))) == []
    images = json.loads(ok(wrapper("ie-podman", "alice", "images --format json")))
    assert "web:latest" not in [i["image"] for i in images]


def test_the_guides_apptainer_block_runs_as_written(web_context):
    """The SIF of alice's image "web", run by Apptainer under both names as
    alice: her UID inside, and her home (the file the block's ls lists)."""
    ok(wrapper("ie-podman", "alice", "build --tag web web"))
    as_user("alice", "echo here > from-the-guide.txt")
    try:
        out = run_block("apptainer").splitlines()
    finally:
        as_user("alice", "rm -f from-the-guide.txt")
    at = out.index("/home/alice/web_latest.sif")  # what sif printed last
    assert out[at + 1] == GS01.check_output("id -u alice")
    assert "from-the-guide.txt" in out[at + 2 :]


@pytest.fixture
def vm_cleanup():
    yield
    # what a block that failed half-way left behind
    wrapper("ie-virsh", "alice", "destroy os-lab")
    wrapper("ie-virsh", "alice", "undefine os-lab")


def test_the_guides_ie_virsh_session_runs_as_written(vm_cleanup):
    # debian-13 is the template the kvm role built (kvm_template_builds)
    out = run_block("ie-virsh")
    assert "debian-13" in out and "NEXT_BOOT" in out
    # undefine at the end took the VM and its disk away
    assert "alice" not in GS01.check_output("virsh -c qemu:///system list --all --name")
    assert GS01.run("ls /var/lib/ie-virsh/images/ | grep -c os-lab").stdout.strip() == "0"


def test_the_guides_two_other_ways_to_define_run_as_written(vm_cleanup):
    """A VM at this server's default sizes, and one whose name, vCPUs and
    memory come from the student's XML (my-vm.xml, as the guide names it)."""
    xml = (
        "<domain type='kvm'><name>my-vm</name><vcpu>1</vcpu>"
        "<memory unit='MiB'>256</memory></domain>"
    )
    ok(as_user("alice", f"printf %s {shlex.quote(xml)} > my-vm.xml"))
    try:
        out = run_block("define")
    finally:
        wrapper("ie-virsh", "alice", "undefine my-vm")
        as_user("alice", "rm -f my-vm.xml")
    listed = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "os-lab" in listed and "my-vm" in listed, out
    assert "256" in listed["my-vm"].split()  # its memory, MiB, from the XML


def test_the_admin_guides_ie_podman_block_runs_as_root(web_context):
    """What an admin sees of a student's container with an address: the
    lease, the audit line of its run, and the container under its owner's
    label; the reclaim's dry run leaves it in place."""
    ok(wrapper("ie-podman", "alice", "build --tag web web"))
    ok(wrapper("ie-podman", "alice", "run --detach --ip --name adminview web"))
    try:
        result = GS01.run(f"bash -c {shlex.quote(runnable.script(ADMIN['ie-podman-admin']))}")
        assert result.rc == 0, f"the admin guide's block failed:\n{result.stdout}\n{result.stderr}"
        lease = next(x for x in result.stdout.splitlines() if "alice_adminview" in x)
        assert "10.213.6." in lease
        assert '"command": "run"' in result.stdout  # the audit log's tail
        assert GS01.run("podman container exists alice_adminview").rc == 0  # a dry run
    finally:
        wrapper("ie-podman", "alice", "rm --force adminview")
