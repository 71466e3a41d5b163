#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_fs
short_description: Manage a CephFS file system
description:
  - Creates a CephFS file system on existing metadata and data pools (see
    M(ie.cluster.ceph_pool)) and keeps its number of active MDS ranks and of
    wanted standbys as asked.
  - The pools of an existing file system are never changed; asking for other
    pools is an error, not a silent re-creation.
  - O(state=absent) takes the file system down (C(ceph fs fail)) and removes
    it; the pools and their data are left alone.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  name:
    description: Name of the file system.
    type: str
    required: true
  state:
    description: Whether the file system should exist.
    type: str
    choices: [present, absent]
    default: present
  metadata_pool:
    description: Metadata pool; required with O(state=present).
    type: str
  data_pool:
    description: Default data pool; required with O(state=present).
    type: str
  max_mds:
    description: Number of active MDS ranks.
    type: int
    default: 1
  standby_count_wanted:
    description: Standby MDS daemons wanted; fewer raise a health warning. C(0) disables the check.
    type: int
    default: 1
attributes:
  check_mode:
    support: full
    description: Reads the file systems and reports what would change without changing them.
  diff_mode:
    support: full
    description: Shows the file system before and after.
"""

EXAMPLES = r"""
- name: The homes file system, one active MDS and a standby
  ie.cluster.ceph_fs:
    name: homes
    metadata_pool: homes_metadata
    data_pool: homes_data
    max_mds: 1
    standby_count_wanted: 1
"""

RETURN = r"""
fs:
  description: The file system after the change (before it in check mode), or null.
  returned: always
  type: dict
  sample: {"name": "homes", "metadata_pool": "homes_metadata", "data_pools": ["homes_data"], "max_mds": 1, "standby_count_wanted": 1}
commands:
  description: The changing ceph argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec


def read_fs(ceph, name):
    for fs in ceph.read(["fs", "ls"]) or []:
        if fs.get("name") == name:
            mdsmap = ceph.read(["fs", "get", name])["mdsmap"]
            return {
                "name": name,
                "metadata_pool": fs["metadata_pool"],
                "data_pools": list(fs["data_pools"]),
                "max_mds": mdsmap["max_mds"],
                "standby_count_wanted": mdsmap["standby_count_wanted"],
            }
    return None


def run_module(module):
    params = module.params
    name = params["name"]
    if params["state"] == "present":
        if not params["metadata_pool"] or not params["data_pool"]:
            module.fail_json(msg="metadata_pool and data_pool are required to create %s" % name)
        if params["metadata_pool"] == params["data_pool"]:
            module.fail_json(msg="the metadata and data pools must differ")
        if params["max_mds"] < 1 or params["standby_count_wanted"] < 0:
            module.fail_json(msg="max_mds must be at least 1 and standby_count_wanted at least 0")

    ceph = Ceph(module)
    have = read_fs(ceph, name)
    want = None
    if params["state"] == "present":
        want = {
            "name": name,
            "metadata_pool": params["metadata_pool"],
            "data_pools": [params["data_pool"]],
            "max_mds": params["max_mds"],
            "standby_count_wanted": params["standby_count_wanted"],
        }
        if have is not None:
            if (
                have["metadata_pool"] != want["metadata_pool"]
                or want["data_pools"][0] != have["data_pools"][0]
            ):
                module.fail_json(
                    msg="file system %s exists on other pools (metadata %s, data %s); "
                    "its pools are never changed"
                    % (name, have["metadata_pool"], have["data_pools"]),
                    fs=have,
                )
            # Extra data pools added by hand are kept.
            want["data_pools"] = have["data_pools"]

    if want is None:
        if have is not None:
            ceph.change(["fs", "fail", name])
            ceph.change(["fs", "rm", name, "--yes-i-really-mean-it"])
    else:
        current = have
        if have is None:
            ceph.change(["fs", "new", name, want["metadata_pool"], want["data_pools"][0]])
            current = {} if module.check_mode else read_fs(ceph, name)
        for option in ("max_mds", "standby_count_wanted"):
            if current.get(option) != want[option]:
                ceph.change(["fs", "set", name, option, want[option]])

    ceph.finish("fs", have, want, lambda: read_fs(ceph, name))


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            metadata_pool=dict(type="str"),
            data_pool=dict(type="str"),
            max_mds=dict(type="int", default=1),
            standby_count_wanted=dict(type="int", default=1),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
