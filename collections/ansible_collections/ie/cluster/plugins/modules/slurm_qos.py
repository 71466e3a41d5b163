#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: slurm_qos
short_description: Manage a Slurm quality of service (QOS) with sacctmgr
description:
  - Creates, updates or deletes one QOS in Slurm's accounting database so that
    its priority, wall-clock limit and description match what is asked.
  - Reads the current QOS first and changes only what differs, so a second run
    reports no change.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description: Name of the QOS.
    type: str
    required: true
  state:
    description: Whether the QOS should exist.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description: QOS priority (used with PriorityWeightQOS of the multifactor plugin).
    type: int
    default: 0
  max_wall:
    description:
      - Longest time limit a job in this QOS may have, in Slurm's time format
        (C(MM), C(HH:MM:SS), C(D-HH:MM:SS)). Empty means no limit.
    type: str
    default: ""
  description:
    description: Free text shown by C(sacctmgr show qos).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Reads the database and reports what would change without running the changing sacctmgr command.
  diff_mode:
    support: full
    description: Shows the QOS before and after.
requirements:
  - sacctmgr on the host, with slurmdbd reachable
"""

EXAMPLES = r"""
- name: Jobs of at most an hour get the highest time-limit priority
  ie.cluster.slurm_qos:
    name: short
    priority: 300
    max_wall: "01:00:00"
    description: time limit up to 1 hour
"""

RETURN = r"""
qos:
  description: The QOS after the change (before it in check mode), or null when absent.
  returned: always
  type: dict
  sample: {"name": "short", "priority": 300, "max_wall_minutes": 60, "description": "time limit up to 1 hour"}
commands:
  description: The sacctmgr argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.sacctmgr import Sacctmgr
from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import wall_minutes


def run_module(module):
    params = module.params
    try:
        want_wall = wall_minutes(params["max_wall"])
    except ValueError as exc:
        module.fail_json(msg="max_wall: %s" % exc)
    name = params["name"]
    if not name or "|" in name or " " in name or "=" in name:
        module.fail_json(msg="name must be a single word without '|', '=' or spaces, got %r" % name)

    sacct = Sacctmgr(module)
    have = sacct.show_qos(name)
    want = None
    if params["state"] == "present":
        want = {
            "name": name,
            "priority": params["priority"],
            "max_wall_minutes": want_wall,
            "description": params["description"],
        }

    if have != want:
        if want is None:
            sacct.delete_qos(name)
        elif have is None:
            sacct.add_qos(want)
        else:
            sacct.modify_qos(want)
    sacct.exit("qos", have, want, lambda: sacct.show_qos(name))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            priority=dict(type="int", default=0),
            max_wall=dict(type="str", default=""),
            description=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
