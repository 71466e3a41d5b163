# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_osd: an OSD is made once per disk or slot, and never again."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.ie.cluster.plugins.modules import ceph_osd
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import run_module


class FakeTools(object):
    """ceph-volume, ceph (as client.bootstrap-osd), ceph-authtool and ceph-osd."""

    def __init__(self, lvm=None, fail_mkfs=False):
        self.lvm = dict(lvm or {})
        self.calls = []
        self.next_id = 4
        self.fail_mkfs = fail_mkfs

    def __call__(self, argv, data=None, **kwargs):
        self.calls.append(argv)
        tool, args = os.path.basename(argv[0]), argv[1:]
        if tool == "ceph-volume" and args[2:4] == ["lvm", "list"]:
            return 0, json.dumps(self.lvm), ""
        if tool == "ceph-volume" and args[2:4] == ["lvm", "create"]:
            osd_id = args[args.index("--osd-id") + 1] if "--osd-id" in args else len(self.lvm)
            self.lvm[str(osd_id)] = [{"devices": [args[-1]]}]
            return 0, "", ""
        if tool == "ceph-authtool":
            return 0, "AQsecret==\n", ""
        if tool == "ceph" and "new" in args:
            assert json.loads(data) == {"cephx_secret": "AQsecret=="}
            after = args[args.index("new") + 2]
            if after != "-i":  # a destroyed id, reused
                return 0, "%s\n" % after, ""
            self.next_id += 1
            return 0, "%d\n" % self.next_id, ""
        if tool == "ceph-osd":
            if self.fail_mkfs:
                return 1, "", "mkfs failed"
            data_dir = None
            for d in os.listdir(self.root):
                if d.endswith("-%s" % args[args.index("-i") + 1]):
                    data_dir = os.path.join(self.root, d)
            with open(os.path.join(data_dir, "mkfs_done"), "w") as handle:
                handle.write("yes\n")
            return 0, "", ""
        raise AssertionError("unexpected %r" % (argv,))

    def changing(self):
        return [
            os.path.basename(c[0]) + " " + c[c.index("--cluster") + 2]
            for c in self.calls
            if "list" not in c and "--gen-print-key" not in c
        ]


def test_device_osd_is_created_once(monkeypatch, capsys):
    fake = FakeTools(lvm={"0": [{"devices": ["/dev/sdb"]}]})
    existing = run_module(
        ceph_osd.main, monkeypatch, fake, capsys, backend="device", device="/dev/sdb"
    )
    assert existing["changed"] is False and existing["osd_id"] == 0
    new = run_module(ceph_osd.main, monkeypatch, fake, capsys, backend="device", device="/dev/sdc")
    assert new["changed"] is True and new["osd_id"] == 1
    assert new["commands"] == [
        [
            "/usr/bin/ceph-volume",
            "--cluster",
            "ceph",
            "lvm",
            "create",
            "--bluestore",
            "--data",
            "/dev/sdc",
        ]
    ]


def test_device_check_mode_creates_nothing(monkeypatch, capsys):
    fake = FakeTools()
    result = run_module(
        ceph_osd.main,
        monkeypatch,
        fake,
        capsys,
        check_mode=True,
        backend="device",
        device="/dev/sdb",
    )
    assert result["changed"] is True and result["osd_id"] is None and fake.lvm == {}


def file_osd_setup(monkeypatch, tmp_path, fail_mkfs=False):
    """Fake tools working in tmp_path, and the params of a file OSD in slot file0."""
    fake = FakeTools(fail_mkfs=fail_mkfs)
    fake.root = str(tmp_path)
    keyring = tmp_path / "bootstrap.keyring"
    keyring.write_text("[client.bootstrap-osd]\n")
    monkeypatch.setattr(ceph_osd, "chown_tree", lambda path: None)
    params = dict(
        backend="file", slot="file0", data_root=str(tmp_path), bootstrap_keyring=str(keyring)
    )
    return fake, params


def test_file_osd_is_made_once_per_slot(monkeypatch, capsys, tmp_path):
    fake, params = file_osd_setup(monkeypatch, tmp_path)
    first = run_module(ceph_osd.main, monkeypatch, fake, capsys, **params)
    assert first["changed"] is True and first["osd_id"] == 5
    data_dir = tmp_path / "ceph-5"
    assert (data_dir / "ie_slot").read_text() == "file0\n"
    assert (data_dir / "keyring").read_text() == "[osd.5]\n\tkey = AQsecret==\n"
    assert oct(os.stat(str(data_dir / "keyring")).st_mode & 0o777) == "0o600"
    mkfs = first["commands"][1]
    assert "--mkfs" in mkfs and "--bluestore_block_size=2147483648" in mkfs
    calls = len(fake.calls)
    again = run_module(ceph_osd.main, monkeypatch, fake, capsys, **params)
    assert again["changed"] is False and again["osd_id"] == 5 and len(fake.calls) == calls
    other = run_module(ceph_osd.main, monkeypatch, fake, capsys, **{**params, "slot": "file1"})
    assert other["osd_id"] == 6


def test_file_osd_failed_mkfs_is_finished_by_a_rerun_with_the_same_id(
    monkeypatch, capsys, tmp_path
):
    fake, params = file_osd_setup(monkeypatch, tmp_path, fail_mkfs=True)
    failed = run_module(ceph_osd.main, monkeypatch, fake, capsys, **params)
    assert failed["failed"] is True
    fake.fail_mkfs = False
    done = run_module(ceph_osd.main, monkeypatch, fake, capsys, **params)
    assert done["osd_id"] == 5 and done["changed"] is True
    assert sum(1 for c in fake.calls if "new" in c) == 1


def test_bad_input_is_refused(monkeypatch, capsys):
    fake = FakeTools()
    for params, message in [
        (dict(backend="file", slot="a/b"), "slot name"),
        (dict(backend="file", slot="x", size=1000), "at least 1 GiB"),
        (dict(backend="device"), "needs device"),
    ]:
        result = run_module(ceph_osd.main, monkeypatch, fake, capsys, **params)
        assert result["failed"] is True and message in result["msg"]
    assert fake.calls == []


def test_a_replaced_disk_gets_the_destroyed_osds_id(monkeypatch, capsys, tmp_path):
    fake = FakeTools(lvm={"0": [{"devices": ["/dev/sdb"]}]})
    new = run_module(
        ceph_osd.main, monkeypatch, fake, capsys, backend="device", device="/dev/sdx", osd_id=7
    )
    assert new["osd_id"] == 7
    assert new["commands"][0][-5:] == ["--bluestore", "--osd-id", "7", "--data", "/dev/sdx"]
    fake, params = file_osd_setup(monkeypatch, tmp_path)
    made = run_module(ceph_osd.main, monkeypatch, fake, capsys, osd_id=3, **params)
    assert made["changed"] is True and made["osd_id"] == 3
    osd_new = made["commands"][0]
    assert osd_new[-6:-4] == ["osd", "new"] and osd_new[-3:] == ["3", "-i", "-"]
    assert (tmp_path / "ceph-3" / "ie_slot").read_text() == "file0\n"
    refused = run_module(ceph_osd.main, monkeypatch, fake, capsys, osd_id=-1, **params)
    assert refused["failed"] is True and "osd_id must be 0 or more" in refused["msg"]
