#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_osd
short_description: Create one bluestore OSD on a disk or on a file, once
description:
  - O(backend=device) (production) - one OSD on one whole data disk through
    C(ceph-volume lvm create). A disk that already carries an OSD (per
    C(ceph-volume lvm list)) is left alone; C(ceph-volume) itself refuses a
    disk with partitions or a file system, so nothing is ever wiped.
  - O(backend=file) (lab and tests, where LVM and udev do not work in
    containers) - one OSD whose bluestore block device is a file in its data
    directory, made with C(ceph osd new) and C(ceph-osd --mkfs). The OSD is
    known by O(slot), recorded in its data directory; a slot that has an OSD
    is never made again.
  - Needs the bootstrap-osd keyring. Starting the C(ceph-osd@ID) unit is left
    to the caller (RV(osd_id)).
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  backend:
    description: Where the OSD's data lives.
    type: str
    choices: [device, file]
    required: true
  device:
    description: The whole disk, for O(backend=device).
    type: path
  slot:
    description: A name for the OSD on this host, for O(backend=file), for example C(file0).
    type: str
  size:
    description: Size of the block file in bytes, for O(backend=file) (at least 1 GiB).
    type: int
    default: 2147483648
  cluster:
    description: The Ceph cluster's name.
    type: str
    default: ceph
  bootstrap_keyring:
    description: The bootstrap-osd keyring; defaults to C(/var/lib/ceph/bootstrap-osd/CLUSTER.keyring).
    type: path
  data_root:
    description: Where OSD data directories live.
    type: path
    default: /var/lib/ceph/osd
  osd_id:
    description:
      - Make the OSD under this id, which C(ceph osd destroy) has kept for a
        replaced disk (C(playbooks/replace-osd.yml)); by default the
        monitors give a new id.
      - For O(backend=device), C(ceph-volume lvm create --osd-id); for
        O(backend=file), C(ceph osd new UUID ID).
    type: int
    version_added: 1.0.0
attributes:
  check_mode:
    support: full
    description: Reports whether an OSD would be created, creating nothing.
  diff_mode:
    support: none
    description: Nothing to compare.
"""

EXAMPLES = r"""
- name: One OSD per data disk
  ie.cluster.ceph_osd:
    backend: device
    device: /dev/sdb

- name: A 2 GiB file-backed OSD (lab)
  ie.cluster.ceph_osd:
    backend: file
    slot: file0
    size: 2147483648
"""

RETURN = r"""
osd_id:
  description: The OSD's id, or null when check mode would create it.
  returned: always
  type: int
commands:
  description: The changing argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

import glob
import json
import os
import pwd
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.runner import CommandRunner

SLOT_FILE = "ie_slot"
UUID_FILE = "ie_osd_uuid"
GiB = 1024**3


def read_file(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def write_file(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def find_slot(data_root, cluster, slot):
    """(osd_id, data_dir) of the file OSD recorded for ``slot``, or (None, None)."""
    for data_dir in sorted(glob.glob(os.path.join(data_root, "%s-*" % cluster))):
        if read_file(os.path.join(data_dir, SLOT_FILE)) == slot:
            return int(data_dir.rsplit("-", 1)[1]), data_dir
    return None, None


def chown_tree(path, user="ceph"):
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


def file_osd(module, params, changes):
    cluster = params["cluster"]
    osd_id, data_dir = find_slot(params["data_root"], cluster, params["slot"])
    if osd_id is not None and read_file(os.path.join(data_dir, "mkfs_done")) is not None:
        return osd_id
    if module.check_mode:
        changes.append(["ceph", "osd", "new", "(new uuid)", "-i", "-"])
        return osd_id

    keyring = params["bootstrap_keyring"] or "/var/lib/ceph/bootstrap-osd/%s.keyring" % cluster
    if not os.path.exists(keyring):
        module.fail_json(msg="the bootstrap-osd keyring %s is missing" % keyring)
    ceph = CommandRunner(
        module,
        "ceph",
        base_args=["--cluster", cluster, "--name", "client.bootstrap-osd", "--keyring", keyring],
    )
    if osd_id is None:
        # A new OSD: its id from the monitors, then its data directory with
        # the slot written first, so a failed mkfs is finished by a re-run
        # instead of leaving an orphan id behind.
        osd_uuid = str(uuid.uuid4())
        secret = CommandRunner(module, "ceph-authtool").run(["--gen-print-key"]).stdout.strip()
        reuse = [str(params["osd_id"])] if params["osd_id"] is not None else []
        new = ceph.run(
            ["osd", "new", osd_uuid, *reuse, "-i", "-"],
            mutating=True,
            data=json.dumps({"cephx_secret": secret}),
        )
        osd_id = int(new.stdout.strip())
        data_dir = os.path.join(params["data_root"], "%s-%d" % (cluster, osd_id))
        if not os.path.isdir(data_dir):
            os.makedirs(data_dir, 0o750)
        write_file(os.path.join(data_dir, "keyring"), "[osd.%d]\n\tkey = %s\n" % (osd_id, secret))
        write_file(os.path.join(data_dir, UUID_FILE), osd_uuid + "\n")
        write_file(os.path.join(data_dir, SLOT_FILE), params["slot"] + "\n", 0o644)
        changes.append(ceph.history[-1].argv)
    osd_uuid = read_file(os.path.join(data_dir, UUID_FILE))
    chown_tree(data_dir)
    mkfs = CommandRunner(module, "ceph-osd").run(
        [
            "--cluster",
            cluster,
            "-i",
            osd_id,
            "--mkfs",
            "--osd-uuid",
            osd_uuid,
            "--setuser",
            "ceph",
            "--setgroup",
            "ceph",
            "--bluestore_block_create=true",
            "--bluestore_block_size=%d" % params["size"],
        ],
        mutating=True,
    )
    changes.append(mkfs.argv)
    return osd_id


def device_osd(module, params, changes):
    volume = CommandRunner(module, "ceph-volume", base_args=["--cluster", params["cluster"]])

    def lookup():
        listing = volume.run_json(["lvm", "list", "--format", "json"]) or {}
        for osd_id, volumes in listing.items():
            for lv in volumes:
                if params["device"] in (lv.get("devices") or []):
                    return int(osd_id)
        return None

    osd_id = lookup()
    if osd_id is not None:
        return osd_id
    reuse = ["--osd-id", str(params["osd_id"])] if params["osd_id"] is not None else []
    create = volume.run(
        ["lvm", "create", "--bluestore", *reuse, "--data", params["device"]], mutating=True
    )
    changes.append(create.argv)
    if module.check_mode:
        return None
    osd_id = lookup()
    if osd_id is None:
        module.fail_json(
            msg="ceph-volume created no OSD on %s" % params["device"], **create.as_dict()
        )
    return osd_id


def run_module(module):
    params = module.params
    changes = []
    if params["osd_id"] is not None and params["osd_id"] < 0:
        module.fail_json(msg="osd_id must be 0 or more, got %d" % params["osd_id"])
    if params["backend"] == "device":
        if not params["device"] or params["slot"]:
            module.fail_json(msg="backend=device needs device (and no slot)")
        osd_id = device_osd(module, params, changes)
    else:
        slot = params["slot"]
        if not slot or params["device"] or "/" in slot or slot.strip() != slot:
            module.fail_json(msg="backend=file needs a slot name without '/' (and no device)")
        if params["size"] < GiB:
            module.fail_json(
                msg="size must be at least 1 GiB (%d bytes), got %d" % (GiB, params["size"])
            )
        osd_id = file_osd(module, params, changes)
    module.exit_json(changed=bool(changes), osd_id=osd_id, commands=changes)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backend=dict(type="str", choices=["device", "file"], required=True),
            device=dict(type="path"),
            slot=dict(type="str"),
            size=dict(type="int", default=2 * GiB),
            cluster=dict(type="str", default="ceph"),
            bootstrap_keyring=dict(type="path", no_log=False),
            data_root=dict(type="path", default="/var/lib/ceph/osd"),
            osd_id=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
