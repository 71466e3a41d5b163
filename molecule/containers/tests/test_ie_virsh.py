"""Two students share the system libvirt through ie-virsh and sudo.

Real libvirtd and QEMU inside ctr-gs01 (KVM where the container has
/dev/kvm, else emulation); a tiny template image made here with qemu-img.
The tests run in file order, like a session at the terminal.
"""

import json
import shlex

import pytest
from students import GS01, as_user, ok, wrapper

testinfra_hosts = ["podman://ctr-gs01"]
TEMPLATES = "/var/lib/ie-virsh/templates"
IMAGES = "/var/lib/ie-virsh/images"
CONNECT = (
    "python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); "
    's.connect(sys.argv[1]); print("connected")\' '
)


def iev(user, args):
    return wrapper("ie-virsh", user, args)


def state(domain):
    return GS01.run(f"virsh -c qemu:///system domstate {domain}").stdout.strip()


@pytest.fixture(scope="module", autouse=True)
def template():
    GS01.check_output(f"qemu-img create -q -f qcow2 {TEMPLATES}/tiny.qcow2 64M")
    yield
    for dom in GS01.check_output("virsh -c qemu:///system list --all --name").split():
        GS01.run(f"virsh -c qemu:///system destroy {dom}")
        GS01.run(f"virsh -c qemu:///system undefine {dom}")
    GS01.run(f"rm -f {IMAGES}/*.qcow2 {TEMPLATES}/tiny.qcow2")


def test_templates_are_listed():
    # tiny (made here) and debian-13 (built by the kvm role: kvm_template_builds)
    listed = json.loads(ok(iev("alice", "templates --format json")))
    assert listed == [{"template": "debian-13"}, {"template": "tiny"}]


def test_define_from_a_template_gives_a_copy_on_write_disk():
    ok(iev("alice", "define vm --template tiny"))
    ok(iev("bob", "define vm --template tiny"))
    info = json.loads(GS01.check_output(f"qemu-img info --output=json {IMAGES}/alice_vm.qcow2"))
    assert info["format"] == "qcow2"
    assert info["backing-filename"] == f"{TEMPLATES}/tiny.qcow2"
    assert [d["name"] for d in json.loads(ok(iev("alice", "list --all --format json")))] == ["vm"]


def test_start_edit_destroy():
    ok(iev("alice", "start vm"))
    assert state("alice_vm") == "running"
    assert "from the next start" in ok(iev("alice", "edit vm --vcpus 2 --memory 256"))
    macs = json.loads(ok(iev("alice", "domiflist vm --format json")))
    assert macs and macs[0]["mac"].startswith("52:54:00:")
    ok(iev("alice", "destroy vm"))
    assert state("alice_vm") == "shut off"
    xml = GS01.check_output("virsh -c qemu:///system dumpxml --inactive alice_vm")
    assert "<vcpu placement='static'>2</vcpu>" in xml
    assert "<memory unit='KiB'>262144</memory>" in xml


@pytest.mark.parametrize(
    "command",
    [
        "start alice_vm",
        "destroy alice_vm",
        "undefine alice_vm",
        "dumpxml alice_vm",
        "edit alice_vm --vcpus 1",
        "domiflist alice_vm",
        "gdb alice_vm",
        "console alice_vm",
    ],
)
def test_cross_user_actions_are_refused_and_change_nothing(command):
    before = GS01.check_output("virsh -c qemu:///system dumpxml --inactive alice_vm")
    result = iev("bob", command)
    assert result.rc == 4, (result.rc, result.stderr)
    assert GS01.check_output("virsh -c qemu:///system dumpxml --inactive alice_vm") == before
    assert state("alice_vm") == "shut off"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ("define ../x --template tiny", 2),
        ("define 'a;b' --template tiny", 2),
        ("define x --template ../templates/tiny", 4),
        ("define x --template /etc/passwd", 4),
        ("edit vm --vcpus 64", 5),
        ("edit vm --memory 999999", 5),
        ("define big --template tiny --disk 100", 5),
    ],
)
def test_injections_and_oversize_requests_are_refused(args, status):
    before = GS01.check_output("virsh -c qemu:///system list --all --name")
    result = iev("alice", args)
    assert result.rc == status, (result.rc, result.stderr)
    assert GS01.check_output("virsh -c qemu:///system list --all --name") == before


def test_xml_templates_give_only_name_vcpus_and_memory():
    xml = (
        "<domain type='kvm'><name>fromxml</name><vcpu>1</vcpu><memory unit='MiB'>128</memory>"
        "<devices><disk type='file'><source file='/etc/shadow'/></disk></devices></domain>"
    )
    ok(as_user("alice", f"printf %s {shlex.quote(xml)} > lab.xml"))
    result = iev("alice", "define --xml lab.xml --template tiny")
    assert result.rc == 0, result.stderr
    assert "ignored: devices" in result.stderr
    dumped = GS01.check_output("virsh -c qemu:///system dumpxml --inactive alice_fromxml")
    assert "/etc/shadow" not in dumped and f"{IMAGES}/alice_fromxml.qcow2" in dumped
    ok(iev("alice", "undefine fromxml"))
    ok(as_user("alice", "printf '%s' '<!DOCTYPE d [<!ENTITY a \"x\">]><domain/>' > evil.xml"))
    assert iev("alice", "define --xml evil.xml --template tiny").rc == 2


def test_gdbstub_is_reachable_by_its_owner_only():
    ok(iev("alice", "undefine vm"))
    ok(iev("alice", "define kern --template tiny --memory 128 -gdb"))
    out = ok(iev("alice", "start kern"))
    socket = "/run/ie-virsh/alice/kern.gdb"
    assert socket in out
    assert as_user("alice", CONNECT + socket).stdout.strip() == "connected"
    denied = as_user("bob", CONNECT + socket)
    assert denied.rc != 0 and "Permission denied" in denied.stderr
    # QEMU's directory; alice may pass through it (group) but write nothing there
    assert GS01.file("/run/ie-virsh/alice").mode == 0o710
    assert GS01.file("/run/ie-virsh/alice").user == "libvirt-qemu"
    assert as_user("alice", "touch /run/ie-virsh/alice/x").rc != 0
    assert "target remote " + socket in ok(iev("alice", "gdb kern"))
    # no TCP gdbstub anywhere
    assert "tcp" not in GS01.check_output("virsh -c qemu:///system dumpxml alice_kern")
    ok(iev("alice", "destroy kern"))


def test_limits_stop_the_next_vm():
    # bob may have one VM (molecule.yml); he has one
    result = iev("bob", "define second --template tiny")
    assert result.rc == 5 and "your limit" in result.stderr


def test_undefine_removes_the_disk():
    ok(iev("bob", "undefine vm"))
    assert not GS01.file(f"{IMAGES}/bob_vm.qcow2").exists


def test_root_and_non_students_are_turned_away_and_actions_are_audited():
    assert GS01.run("ie-virsh list").rc == 3  # root uses virsh
    assert iev("carol", "list").rc != 0  # not in the students group: sudo refuses
    log = GS01.file("/var/log/ie-virsh/audit.log").content_string
    lines = [json.loads(x) for x in log.splitlines()]
    assert any(x["user"] == "alice" and x["command"] == "define" for x in lines)
    assert any(x["user"] == "bob" and x["outcome"] == "NotFound" for x in lines)
