#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_pool
short_description: Manage a replicated Ceph pool
description:
  - Creates a replicated pool, or brings an existing one to the size,
    min_size, placement-group autoscale mode, PG count and application asked,
    changing only what differs.
  - Deleting a pool needs C(mon_allow_pool_delete=true) on the monitors;
    without it Ceph refuses and the module fails with Ceph's message.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  name:
    description: Name of the pool.
    type: str
    required: true
  state:
    description: Whether the pool should exist.
    type: str
    choices: [present, absent]
    default: present
  size:
    description: Number of copies of each object.
    type: int
  min_size:
    description: Copies that must be up for the pool to accept I/O.
    type: int
  pg_autoscale_mode:
    description: The PG autoscaler's mode for this pool.
    type: str
    choices: ["on", "off", "warn"]
    default: "on"
  pg_num:
    description: Placement groups; only with O(pg_autoscale_mode) other than C(on), since the autoscaler owns it otherwise.
    type: int
  application:
    description: Application to enable on the pool (C(cephfs), C(rbd), C(rgw)); others already enabled are kept.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads the pool and reports what would change without changing it.
  diff_mode:
    support: full
    description: Shows the pool's managed settings before and after.
"""

EXAMPLES = r"""
- name: Two copies, one on each storage server; still writable with one server down
  ie.cluster.ceph_pool:
    name: homes_data
    size: 2
    min_size: 1
    application: cephfs
"""

RETURN = r"""
pool:
  description: The pool's managed settings after the change (before it in check mode), or null.
  returned: always
  type: dict
  sample: {"name": "homes_data", "size": 2, "min_size": 1, "pg_autoscale_mode": "on", "applications": ["cephfs"]}
commands:
  description: The changing ceph argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec


def read_pool(ceph, name, with_pg_num):
    for pool in ceph.read(["osd", "pool", "ls", "detail"]) or []:
        if pool.get("pool_name") == name:
            found = {
                "name": name,
                "size": pool["size"],
                "min_size": pool["min_size"],
                "pg_autoscale_mode": pool["pg_autoscale_mode"],
                "applications": sorted(pool.get("application_metadata") or {}),
            }
            if with_pg_num:
                found["pg_num"] = pool["pg_num"]
            return found
    return None


def run_module(module):
    params = module.params
    name = params["name"]
    if not name or " " in name:
        module.fail_json(msg="name must be a non-empty word, got %r" % name)
    if params["pg_num"] is not None and params["pg_autoscale_mode"] == "on":
        module.fail_json(msg="pg_num is owned by the autoscaler when pg_autoscale_mode is on")
    for option in ("size", "min_size", "pg_num"):
        if params[option] is not None and params[option] < 1:
            module.fail_json(msg="%s must be at least 1, got %d" % (option, params[option]))
    if params["size"] and params["min_size"] and params["min_size"] > params["size"]:
        module.fail_json(
            msg="min_size (%d) cannot exceed size (%d)" % (params["min_size"], params["size"])
        )

    with_pg_num = params["pg_num"] is not None
    ceph = Ceph(module)
    have = read_pool(ceph, name, with_pg_num)

    want = None
    if params["state"] == "present":
        base = have or {
            "name": name,
            "size": None,
            "min_size": None,
            "pg_autoscale_mode": None,
            "applications": [],
        }
        want = dict(base)
        for option in ("size", "min_size", "pg_num"):
            if params[option] is not None:
                want[option] = params[option]
        want["pg_autoscale_mode"] = params["pg_autoscale_mode"]
        if params["application"] and params["application"] not in want["applications"]:
            want["applications"] = sorted(want["applications"] + [params["application"]])

    if want is None:
        if have is not None:
            ceph.change(["osd", "pool", "rm", name, name, "--yes-i-really-really-mean-it"])
    else:
        current = have
        if have is None:
            create = ["osd", "pool", "create", name]
            if with_pg_num:
                create += [params["pg_num"], params["pg_num"]]
            create += ["replicated", "--autoscale-mode=%s" % params["pg_autoscale_mode"]]
            ceph.change(create)
            # What a new pool gets by default is only known once it exists;
            # in check mode say that every asked setting would be applied.
            current = {} if module.check_mode else read_pool(ceph, name, with_pg_num)
            for option, value in list(want.items()):
                if value is None and option in current:
                    want[option] = current[option]
        # min_size after size: Ceph resets min_size when size changes.
        for option in ("size", "min_size", "pg_num", "pg_autoscale_mode"):
            if option in want and want[option] is not None and current.get(option) != want[option]:
                ceph.change(["osd", "pool", "set", name, option, want[option]])
                if option == "size" and params["min_size"] is None and not module.check_mode:
                    want["min_size"] = read_pool(ceph, name, with_pg_num)["min_size"]
        if params["application"] and params["application"] not in (
            current.get("applications") or []
        ):
            ceph.change(["osd", "pool", "application", "enable", name, params["application"]])
        if have is None and module.check_mode:
            want = dict((k, v) for k, v in want.items() if v is not None)

    def read_back():
        return read_pool(ceph, name, with_pg_num)

    ceph.finish("pool", have, want, read_back)


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            size=dict(type="int"),
            min_size=dict(type="int"),
            pg_autoscale_mode=dict(type="str", choices=["on", "off", "warn"], default="on"),
            pg_num=dict(type="int"),
            application=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
