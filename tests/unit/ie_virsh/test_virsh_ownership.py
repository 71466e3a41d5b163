"""Who owns a VM's files: libvirt chowns nothing (a fixed DAC label, no
relabelling), so the shared templates stay root's and read-only to every
QEMU; each VM's own disk is QEMU's, given through a descriptor."""

from __future__ import annotations

import grp
import os
import pwd
import xml.etree.ElementTree as ET

import pytest
from fakevirt import run

from ie_common.errors import SetupError, ToolFailed, UsageError
from ie_common.identity import Caller
from ie_virsh import backend, domxml

ALICE = Caller(uid=2001, gid=2001, name="alice", home="/home/alice", groups=(2001,))
BOB = Caller(uid=2002, gid=2002, name="bob", home="/home/bob", groups=(2002,))
NOBODY = (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)


def seclabels(xml: str) -> list[tuple[dict, str]]:
    return [(dict(s.attrib), s.findtext("label")) for s in ET.fromstring(xml).findall("seclabel")]


def test_every_domain_runs_as_qemu_with_nothing_relabelled(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    xml = env["virt"].domains["alice_vm"]
    label = f"+{NOBODY[0]}:+{NOBODY[1]}"
    assert seclabels(xml) == [
        ({"type": "static", "model": "dac", "relabel": "no"}, label),
    ]
    assert domxml.read(xml)["qemu_label"] == label


def test_qemu_as_root_is_refused():
    spec = domxml.Spec(
        name="alice_vm", owner_uid=2001, owner_user="alice", vcpus=1, memory_mib=128,
        disk_path="/i/alice_vm.qcow2", disk_gib=1, template="t", qemu_uid=0, qemu_gid=0,
    )  # fmt: skip
    with pytest.raises(UsageError):
        domxml.build(spec)


def test_a_missing_qemu_user_is_a_setup_error(env):
    from fakevirt import with_cfg

    cfg = with_cfg(env, qemu_user="no-such-qemu-user")
    with pytest.raises(SetupError):
        cfg.qemu_ids()


def test_the_new_disk_is_qemus_and_nobody_elses(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    st = os.stat(env["tmp"] / "images" / "alice_vm.qcow2")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (*NOBODY, 0o600)
    # the template under it is untouched
    template = os.stat(env["tmp"] / "templates" / "tiny.qcow2")
    assert template.st_uid == os.getuid()


def test_an_old_definition_is_made_current_before_it_starts(env):
    """A VM defined before ie-virsh fixed the label (libvirt would chown the
    template to QEMU at its start) is defined again, with the same identity,
    and its disk given to QEMU; the other student's VM is not touched."""
    run(env, ALICE, ["define", "vm", "--template", "tiny", "--vcpus", "2"])
    run(env, BOB, ["define", "vm", "--template", "tiny"])
    disk = env["tmp"] / "images" / "alice_vm.qcow2"
    old = env["virt"].domains["alice_vm"]
    root = ET.fromstring(old)
    for sec in root.findall("seclabel"):
        root.remove(sec)
    env["virt"].domains["alice_vm"] = ET.tostring(root, encoding="unicode")
    os.chown(disk, 0, 0)
    bob_before = env["virt"].domains["bob_vm"]
    env["virt"].calls.clear()
    run(env, ALICE, ["start", "vm"])
    assert env["virt"].calls == [("define", "alice_vm"), ("start", "alice_vm")]
    now = domxml.read(env["virt"].domains["alice_vm"])
    was = domxml.read(old)
    assert now == was  # the same VM (uuid, size, disk, owner), now with the label
    assert (os.stat(disk).st_uid, os.stat(disk).st_gid) == NOBODY
    assert env["virt"].domains["bob_vm"] == bob_before


def test_a_current_definition_starts_as_it_is(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    env["virt"].calls.clear()
    run(env, ALICE, ["start", "vm"])
    assert env["virt"].calls == [("start", "alice_vm")]


def test_a_disk_swapped_for_a_link_is_not_given_away(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:x")
    os.chmod(secret, 0o640)
    link = tmp_path / "alice_vm.qcow2"
    link.symlink_to(secret)
    with pytest.raises(ToolFailed):
        backend.give_to_qemu(str(link), *NOBODY)
    hard = tmp_path / "hard.qcow2"
    os.link(secret, hard)
    with pytest.raises(ToolFailed):
        backend.give_to_qemu(str(hard), *NOBODY)
    st = os.stat(secret)
    assert (st.st_uid, st.st_mode & 0o777) == (os.getuid(), 0o640)
