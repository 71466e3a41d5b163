"""ie-virsh: generated XML read back, names, ownership, limits - against a fake libvirt."""

from __future__ import annotations

import argparse
import os
import time
import xml.etree.ElementTree as ET

import pytest
from fakevirt import run, with_cfg

from ie_common.errors import NotFound, QuotaExceeded, Refused, SetupError, UsageError
from ie_common.identity import Caller
from ie_virsh import backend, cli, config, domxml

ALICE = Caller(uid=2001, gid=2001, name="alice", home="/home/alice", groups=(2001,))
BOB = Caller(uid=2002, gid=2002, name="bob", home="/home/bob", groups=(2002,))


def spec(**kw):
    base = dict(
        name="alice_vm",
        owner_uid=2001,
        owner_user="alice",
        vcpus=2,
        memory_mib=1536,
        disk_path="/var/lib/ie-virsh/images/alice_vm.qcow2",
        disk_gib=10,
        template="tiny",
        qemu_uid=64055,
        qemu_gid=64055,
    )
    base.update(kw)
    return domxml.Spec(**base)


def test_generated_xml_parses_back_to_the_same_values():
    xml = domxml.build(spec(gdb_socket="/run/ie-virsh/alice/vm.gdb", mac="52:54:00:aa:bb:cc"))
    info = domxml.read(xml)
    assert info["name"] == "alice_vm"
    assert (info["owner_uid"], info["owner_user"], info["template"]) == (2001, "alice", "tiny")
    assert (info["vcpus"], info["memory_mib"], info["disk_gib"]) == (2, 1536, 10)
    assert info["disks"] == ["/var/lib/ie-virsh/images/alice_vm.qcow2"]
    assert info["interfaces"] == [
        {"type": "user", "source": "", "model": "virtio", "mac": "52:54:00:aa:bb:cc"}
    ]
    assert info["gdb_socket"] == "/run/ie-virsh/alice/vm.gdb"
    root = ET.fromstring(xml)
    # no graphics port other users could reach; the gdbstub is a UNIX socket
    assert root.find("devices/graphics") is None
    args = [a.get("value") for a in root.iter(f"{{{domxml.QEMU_NS}}}arg")]
    assert args == ["-gdb", "unix:/run/ie-virsh/alice/vm.gdb,server=on,wait=off"]
    assert "tcp" not in xml


def test_memory_units_are_read_as_libvirt_writes_them():
    xml = domxml.build(spec()).replace(
        '<memory unit="MiB">1536</memory>', "<memory unit='KiB'>1572864</memory>"
    )
    assert domxml.read(xml)["memory_mib"] == 1536


@pytest.mark.parametrize(
    "bad",
    [
        {"disk_path": "/var/lib/x/../../etc/shadow"},
        {"disk_path": "/dev/sda;x"},
        {"name": "-x"},
        {"uuid": "nope"},
        {"mac": "zz"},
        {"domain_type": "xen"},
        {"interface_type": "direct"},
    ],
)
def test_spec_refuses_unsafe_values(bad):
    with pytest.raises(UsageError):
        domxml.build(spec(**bad))


def test_user_xml_gives_only_name_vcpu_memory():
    got = domxml.from_user_xml(
        "<domain type='kvm'><name>os-lab</name><vcpu>2</vcpu><memory unit='GiB'>2</memory>"
        "<devices><disk type='file'><source file='/etc/shadow'/></disk></devices>"
        "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/></domain>"
    )
    assert (got["name"], got["vcpus"], got["memory_mib"]) == ("os-lab", 2, 2048)
    assert "devices" in got["ignored"]


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE d [<!ENTITY a "aaaa">]><domain><name>&a;</name></domain>',
        "<notdomain/>",
        "<domain><name>x</name",
    ],
)
def test_user_xml_refuses_entities_other_documents_and_garbage(text):
    with pytest.raises(UsageError):
        domxml.from_user_xml(text)


def test_define_makes_an_overlay_on_the_template_and_an_owned_domain(env, capsys):
    assert run(env, ALICE, ["define", "vm", "--template", "tiny"]) == 0
    template, overlay, size = env["made"][0]
    assert template.endswith("/templates/tiny.qcow2")
    assert overlay.endswith("/images/alice_vm.qcow2") and size == 10
    info = domxml.read(env["virt"].domains["alice_vm"])
    assert (info["owner_uid"], info["vcpus"], info["memory_mib"]) == (2001, 1, 1024)


@pytest.mark.parametrize("template", ["../templates/tiny", "/etc/passwd", "tiny.qcow2", "nope"])
def test_only_admin_templates_by_name(env, template):
    with pytest.raises(NotFound):
        run(env, ALICE, ["define", "vm", "--template", template])
    assert env["made"] == [] and env["virt"].domains == {}


@pytest.mark.parametrize("name", ["../x", "a b", "-gdb", "x" * 41, "a/b"])
def test_bad_names_are_refused(env, name):
    with pytest.raises(UsageError):
        run(env, ALICE, ["define", "--template", "tiny", "--", name])


def test_two_students_same_name_no_collision_and_no_crossing(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    run(env, BOB, ["define", "vm", "--template", "tiny"])
    assert set(env["virt"].domains) == {"alice_vm", "bob_vm"}
    for argv in (
        ["start", "alice_vm"],
        ["undefine", "alice_vm"],
        ["dumpxml", "alice_vm"],
        ["edit", "alice_vm", "--vcpus", "2"],
    ):
        with pytest.raises(NotFound):
            run(env, BOB, argv)
    assert "alice_vm" in env["virt"].domains and not env["virt"].active


def test_a_domain_in_your_namespace_but_owned_by_another_is_not_yours(env):
    env["virt"].domains["alice_trap"] = domxml.build(
        spec(name="alice_trap", owner_uid=2002, owner_user="bob")
    )
    with pytest.raises(NotFound):
        run(env, ALICE, ["start", "trap"])


def test_limits_on_count_vcpus_memory_disk(env):
    run(env, ALICE, ["define", "a", "--template", "tiny", "--vcpus", "2"])
    with pytest.raises(QuotaExceeded, match="vCPUs"):
        run(env, ALICE, ["define", "b", "--template", "tiny", "--vcpus", "2"])
    with pytest.raises(QuotaExceeded, match="GiB of disk"):
        run(env, ALICE, ["define", "b", "--template", "tiny", "--disk", "25"])
    run(env, ALICE, ["define", "b", "--template", "tiny"])
    with pytest.raises(QuotaExceeded, match="VMs"):
        run(env, ALICE, ["define", "c", "--template", "tiny"])
    with pytest.raises(QuotaExceeded, match="memory"):
        run(env, ALICE, ["edit", "a", "--memory", "4096"])
    assert domxml.read(env["virt"].domains["alice_a"])["memory_mib"] == 1024


def test_edit_keeps_identity_and_disk(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    before = domxml.read(env["virt"].domains["alice_vm"])
    run(env, ALICE, ["edit", "vm", "--vcpus", "2", "--memory", "2048"])
    after = domxml.read(env["virt"].domains["alice_vm"])
    assert (after["vcpus"], after["memory_mib"]) == (2, 2048)
    assert after["disks"] == before["disks"] and after["disk_gib"] == before["disk_gib"]
    with pytest.raises(UsageError):
        run(env, ALICE, ["edit", "vm"])


def test_gdb_socket_lives_in_the_owners_directory(env, capsys):
    run(env, ALICE, ["define", "k", "--template", "tiny", "-gdb"])
    info = domxml.read(env["virt"].domains["alice_k"])
    assert info["gdb_socket"] == str(env["tmp"] / "run" / "alice" / "k.gdb")


def test_undefine_removes_the_overlay_but_not_a_running_vm(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    overlay = env["made"][0][1]
    env["virt"].active.add("alice_vm")
    with pytest.raises(Refused):
        run(env, ALICE, ["undefine", "vm"])
    env["virt"].active.clear()
    run(env, ALICE, ["undefine", "vm"])
    import os

    assert not os.path.exists(overlay) and "alice_vm" not in env["virt"].domains


def test_list_and_templates(env, capsys):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    run(env, BOB, ["define", "other", "--template", "tiny"])
    capsys.readouterr()
    run(env, ALICE, ["list", "--all", "--format", "json"])
    import json

    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["vm"]
    run(env, ALICE, ["templates", "--format", "json"])
    assert json.loads(capsys.readouterr().out) == [{"template": "debian-13"}, {"template": "tiny"}]


def test_bad_command_lines_are_usage_errors():
    with pytest.raises(UsageError):
        cli.parser().parse_args(["define", "vm"])  # no --template
    with pytest.raises(UsageError):
        cli.parser().parse_args(["frobnicate"])
    assert isinstance(cli.parser().parse_args(["list"]), argparse.Namespace)


def test_config_is_checked():
    with pytest.raises(SetupError):
        config.from_dict({"domain_type": "xen"})
    with pytest.raises(SetupError):
        config.from_dict({"limits": {"vms": -1}})
    with pytest.raises(SetupError):
        config.from_dict({"default_vcpus": "1"})
    with pytest.raises(SetupError):
        config.from_dict({"interface": {"type": "direct"}})


def test_host_limits_count_every_students_vms(env):
    env["cfg"] = with_cfg(
        env, host_limits={"vms": 2, "vcpus": 8, "memory_mib": 8192, "disk_gib": 100}
    )
    run(env, ALICE, ["define", "a", "--template", "tiny"])
    run(env, BOB, ["define", "b", "--template", "tiny"])
    with pytest.raises(QuotaExceeded, match="this server"):
        run(env, ALICE, ["define", "c", "--template", "tiny"])
    # a domain libvirt has that is not a student's does not count
    env["virt"].domains["admin-vm"] = "<domain><name>admin-vm</name><vcpu>64</vcpu></domain>"
    run(env, ALICE, ["edit", "a", "--vcpus", "2"])


# -- issue 21: limits taken as one step, live usage, files closed to others -------------


def test_shrinking_a_running_vm_does_not_free_its_share(env):
    assert (
        run(env, ALICE, ["define", "a", "--template", "tiny", "--vcpus", "2", "--disk", "5"]) == 0
    )
    run(env, ALICE, ["start", "a"])
    # the stored definition shrinks; the running VM keeps its 2 vCPUs
    run(env, ALICE, ["edit", "a", "--vcpus", "1"])
    with pytest.raises(QuotaExceeded):
        run(env, ALICE, ["define", "b", "--template", "tiny", "--vcpus", "2", "--disk", "5"])
    assert set(env["virt"].domains) == {"alice_a"}


def test_start_checks_the_limits_against_what_runs(env):
    run(env, ALICE, ["define", "a", "--template", "tiny", "--vcpus", "2", "--disk", "5"])
    run(env, ALICE, ["define", "b", "--template", "tiny", "--vcpus", "1", "--disk", "5"])
    run(env, ALICE, ["start", "a"])
    # an admin lowered the limit meanwhile: b may not start on top of a
    env["cfg"] = with_cfg(env, limits={"vms": 2, "vcpus": 2, "memory_mib": 3072, "disk_gib": 30})
    with pytest.raises(QuotaExceeded):
        run(env, ALICE, ["start", "b"])
    assert env["virt"].active == {"alice_a"}
    with pytest.raises(Refused):
        run(env, ALICE, ["start", "a"])  # already running


def test_eight_parallel_defines_never_pass_the_vm_limit(env, in_parallel):
    slow = env["virt"].define

    def define(xml):
        time.sleep(0.05)
        slow(xml)

    env["virt"].define = define
    outcomes = in_parallel(
        lambda i: run(env, ALICE, ["define", f"v{i}", "--template", "tiny", "--disk", "1"]), 8
    )
    assert len(env["virt"].domains) == 2  # the limit
    assert sum(isinstance(o, QuotaExceeded) for o in outcomes) == 6


def test_overlays_are_readable_by_their_owner_only(tmp_path):
    fake = tmp_path / "qemu-img"
    fake.write_text('#!/bin/sh\n: > "$9"\n')
    fake.chmod(0o755)
    overlay = tmp_path / "alice_vm.qcow2"
    backend.create_overlay(str(fake), "/t.qcow2", str(overlay), 1)
    assert overlay.stat().st_mode & 0o777 == 0o600


def _app(env, caller=ALICE):
    cfg = with_cfg(env, qemu_group="root", qemu_user="root")
    return cli.App(caller, cfg, env["virt"], str(env["tmp"]))


def test_the_gdb_socket_is_handed_over_only_if_qemu_made_it(env, tmp_path):
    import socket as sk

    app = _app(env)
    directory = tmp_path / "gdb"
    directory.mkdir()
    # a real socket, as QEMU makes it: it goes to the owner
    sock = sk.socket(sk.AF_UNIX)
    sock.bind(str(directory / "vm.gdb"))
    app.hand_over_socket(str(directory / "vm.gdb"))
    st = os.stat(directory / "vm.gdb")
    assert (st.st_uid, st.st_mode & 0o777) == (ALICE.uid, 0o660)
    sock.close()
    # a symlink or a hard link to another file in its place: refused, the file untouched
    victim = tmp_path / "victim"
    victim.write_text("secret")
    victim.chmod(0o600)
    for swap in (os.symlink, os.link):
        os.unlink(directory / "vm.gdb")
        swap(victim, directory / "vm.gdb")
        with pytest.raises(Refused):
            app.hand_over_socket(str(directory / "vm.gdb"))
        st = os.stat(victim)
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)


@pytest.mark.parametrize("name", ["vm\n", "vm\nx", "\nvm"])
def test_vm_names_with_new_lines_are_refused(env, name):
    with pytest.raises(UsageError):
        run(env, ALICE, ["define", "--template", "tiny", "--", name])
    assert env["virt"].domains == {}


def test_the_gdb_directory_is_qemus_and_the_student_only_passes_through(env, tmp_path):
    app = _app(env)
    socket = os.path.join(app.gdb_dir(), "vm.gdb")
    os.makedirs(app.gdb_dir())
    os.chown(app.gdb_dir(), ALICE.uid, ALICE.gid)  # as an older ie-virsh left it
    open(socket, "w").close()
    app.prepare_gdb_dir(socket)
    st = os.stat(app.gdb_dir())
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, ALICE.gid, 0o710)
    assert not os.path.lexists(socket)


def boot_element(xml, tag):
    found = ET.fromstring(xml).find(f"os/{tag}")
    return None if found is None else found.text


def test_a_template_with_a_kernel_beside_it_boots_it_directly(env):
    """A built template (the kvm role's kvm_template_builds) has its kernel
    and initrd beside its disk: its VMs boot them, with the disk as root,
    and keep them through an edit; other templates boot from the disk."""
    templates = env["tmp"] / "templates"
    (templates / "debian-13.vmlinuz").write_bytes(b"kernel")
    (templates / "debian-13.initrd").write_bytes(b"initrd")
    run(env, ALICE, ["define", "deb", "--template", "debian-13"])
    xml = env["virt"].domains["alice_deb"]
    assert boot_element(xml, "kernel") == str(templates / "debian-13.vmlinuz")
    assert boot_element(xml, "initrd") == str(templates / "debian-13.initrd")
    assert boot_element(xml, "cmdline") == domxml.BOOT_CMDLINE
    assert ET.fromstring(xml).find("os/boot") is None
    run(env, ALICE, ["edit", "deb", "--vcpus", "2"])
    assert boot_element(env["virt"].domains["alice_deb"], "kernel").endswith("debian-13.vmlinuz")
    run(env, ALICE, ["define", "tin", "--template", "tiny"])
    tiny = env["virt"].domains["alice_tin"]
    assert boot_element(tiny, "kernel") is None
    assert ET.fromstring(tiny).find("os/boot").get("dev") == "hd"


def test_a_kernel_without_its_initrd_is_not_booted(env):
    (env["tmp"] / "templates" / "tiny.vmlinuz").write_bytes(b"kernel")
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    assert boot_element(env["virt"].domains["alice_vm"], "kernel") is None


@pytest.mark.parametrize(
    ("kernel", "initrd"),
    [("/t/k", ""), ("", "/t/i"), ("/t/../etc/k", "/t/i"), ("/t/k;x", "/t/i")],
)
def test_boot_files_must_be_safe_paths_and_come_together(kernel, initrd):
    spec = domxml.Spec(
        name="alice_vm", owner_uid=2001, owner_user="alice", vcpus=1, memory_mib=128,
        disk_path="/i/alice_vm.qcow2", disk_gib=1, template="t", kernel=kernel, initrd=initrd,
        qemu_uid=64055, qemu_gid=64055,
    )  # fmt: skip
    with pytest.raises(UsageError):
        domxml.build(spec)
