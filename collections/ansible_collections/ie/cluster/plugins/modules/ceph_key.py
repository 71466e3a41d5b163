#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_key
short_description: Manage a Ceph (cephx) user, its capabilities and its keyring file
description:
  - Creates a cephx user with the capabilities asked, updates the capabilities
    of an existing one (its key is kept), or deletes it.
  - For a CephFS client, O(fs_authorize) gives the restricted capabilities
    that C(ceph fs authorize) grants; the user is created with that very
    command, and an existing user's capabilities are brought back to them.
  - Optionally writes the user's keyring to O(dest) with a strict mode, so a
    daemon or a client can use it. The key itself is never shown in a diff.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  name:
    description: The entity, C(TYPE.ID), for example C(client.homes) or C(mgr.gs01).
    type: str
    required: true
  state:
    description: Whether the user should exist.
    type: str
    choices: [present, absent]
    default: present
  caps:
    description:
      - Capabilities by daemon type, for example C(mon=allow profile mgr) and C(osd=allow *) as a dictionary.
      - When omitted, a new user gets none and an existing user's are left as they are.
    type: dict
  fs_authorize:
    description: Give the capabilities of C(ceph fs authorize FS NAME PATH PERMISSION).
    type: dict
    suboptions:
      fs:
        description: The CephFS file system.
        type: str
        required: true
      path:
        description: The directory of the file system the client may reach.
        type: str
        default: /
      permission:
        description: C(r) or C(rw).
        type: str
        choices: [r, rw]
        default: rw
  dest:
    description: Write the user's keyring here (only the key, no capabilities).
    type: path
  mode:
    description: Mode of O(dest).
    type: raw
    default: "0600"
  owner:
    description: Owner of O(dest).
    type: str
  group:
    description: Group of O(dest).
    type: str
  return_key:
    description:
      - Return the key as RV(key). It is a secret; use C(no_log) on the task.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the user and the keyring file and reports what would change.
  diff_mode:
    support: full
    description: Shows the capabilities before and after (never the key).
"""

EXAMPLES = r"""
- name: The manager daemon's key, in its data directory
  ie.cluster.ceph_key:
    name: mgr.gs01
    caps: {mon: allow profile mgr, osd: allow *, mds: allow *}
    dest: /var/lib/ceph/mgr/ceph-gs01/keyring
    owner: ceph
    group: ceph

- name: A CephFS client that may read and write the homes file system only
  ie.cluster.ceph_key:
    name: client.homes-gs02
    fs_authorize: {fs: homes, path: /, permission: rw}
    dest: /etc/ceph/ceph.client.homes-gs02.keyring
"""

RETURN = r"""
user:
  description: The entity and its capabilities after the change (before it in check mode), or null.
  returned: always
  type: dict
  sample: {"entity": "client.homes", "caps": {"mon": "allow r fsname=homes"}}
key:
  description: The key, only with O(return_key=true).
  returned: when asked
  type: str
commands:
  description: The changing ceph argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec


def authorize_caps(fs, path, permission):
    """The capabilities ``ceph fs authorize FS NAME PATH PERMISSION`` grants (Ceph 18)."""
    mds = "allow %s fsname=%s" % (permission, fs)
    if path not in ("", "/"):
        mds += " path=%s" % path
    return {
        "mds": mds,
        "mon": "allow r fsname=%s" % fs,
        "osd": "allow %s tag cephfs data=%s" % (permission, fs),
    }


def keyring_text(entity, key):
    return "[%s]\n\tkey = %s\n" % (entity, key)


def caps_args(caps):
    args = []
    for daemon in sorted(caps):
        args += [daemon, caps[daemon]]
    return args


def read_user(ceph, name):
    """(user without key, key) or (None, None)."""
    rows = ceph.read(["auth", "get", name], missing_ok=True)
    if not rows:
        return None, None
    row = rows[0]
    return {"entity": row["entity"], "caps": dict(row.get("caps") or {})}, row["key"]


def write_keyring(module, dest, text):
    """Write ``text`` to ``dest`` (atomically, never shown) and set its attributes; changed?"""
    current = None
    if os.path.exists(dest):
        with open(dest) as handle:
            current = handle.read()
    changed = current != text
    if changed and not module.check_mode:
        directory = os.path.dirname(dest) or "."
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ceph_key.")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode("ascii"))
        finally:
            os.close(fd)
        module.atomic_move(tmp, dest)
    file_args = module.load_file_common_arguments(
        dict(
            path=dest,
            mode=module.params["mode"],
            owner=module.params["owner"],
            group=module.params["group"],
        )
    )
    if module.check_mode and not os.path.exists(dest):
        return True
    return module.set_fs_attributes_if_different(file_args, changed)


def run_module(module):
    params = module.params
    name = params["name"]
    if "." not in name or name.startswith(".") or name.endswith(".") or " " in name:
        module.fail_json(msg="name must be TYPE.ID (for example client.homes), got %r" % name)
    if params["state"] == "absent" and params["dest"]:
        module.fail_json(msg="dest cannot be written for a user that is to be absent")

    ceph = Ceph(module)
    have, key = read_user(ceph, name)
    want = None
    if params["state"] == "present":
        if params["fs_authorize"]:
            auth = params["fs_authorize"]
            caps = authorize_caps(auth["fs"], auth["path"], auth["permission"])
        elif params["caps"] is not None:
            caps = dict((str(k), str(v)) for k, v in params["caps"].items())
        else:
            caps = have["caps"] if have else {}
        want = {"entity": name, "caps": caps}

    if want is None and have is not None:
        ceph.change(["auth", "del", name])
    elif want is not None and have is None:
        if params["fs_authorize"]:
            auth = params["fs_authorize"]
            ceph.change(["fs", "authorize", auth["fs"], name, auth["path"], auth["permission"]])
        else:
            ceph.change(["auth", "get-or-create", name, *caps_args(want["caps"])])
    elif want is not None and have["caps"] != want["caps"]:
        ceph.change(["auth", "caps", name, *caps_args(want["caps"])])

    def read_back():
        return read_user(ceph, name)[0]

    file_changed = False
    if want is not None and (params["dest"] or params["return_key"]):
        if key is None and not module.check_mode:
            key = read_user(ceph, name)[1]
        if params["dest"]:
            # No key yet only in check mode, for a user still to be made: the file would be written.
            file_changed = (
                write_keyring(module, params["dest"], keyring_text(name, key)) if key else True
            )

    extra = {"keyring_changed": file_changed}
    if params["return_key"]:
        extra["key"] = key
    ceph.finish("user", have, want, read_back, extra, also_changed=file_changed)


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            caps=dict(type="dict"),
            fs_authorize=dict(
                type="dict",
                options=dict(
                    fs=dict(type="str", required=True),
                    path=dict(type="str", default="/"),
                    permission=dict(type="str", choices=["r", "rw"], default="rw"),
                ),
            ),
            dest=dict(type="path"),
            mode=dict(type="raw", default="0600"),
            owner=dict(type="str"),
            group=dict(type="str"),
            return_key=dict(type="bool", default=False, no_log=False),
        ),
        mutually_exclusive=[["caps", "fs_authorize"]],
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
