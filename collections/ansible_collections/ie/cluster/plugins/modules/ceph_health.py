#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_health
short_description: Wait until a Ceph cluster reaches a health status
description:
  - Polls C(ceph health) until the status is at least as good as
    O(status), optionally until given health checks are gone too.
  - On timeout it fails with the full C(ceph health detail), so the log says
    why the cluster is not healthy.
  - Only reads; it never changes anything, and runs the same in check mode.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  status:
    description: The worst status accepted.
    type: str
    choices: [HEALTH_OK, HEALTH_WARN]
    default: HEALTH_OK
  ignore_checks:
    description: Health check codes that do not count (for example C(OSD_DOWN) while a host is stopped on purpose).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait.
    type: int
    default: 300
  interval:
    description: Seconds between two polls.
    type: int
    default: 5
  settle:
    description:
      - Seconds the status must stay good, poll after poll, before the wait ends.
      - Right after a change of the OSD map (an OSD marked in, say), C(ceph health)
        can still answer from the manager's previous placement-group report; a
        settle longer than that report's period (5 s) sees the peering that follows.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: It only reads.
  diff_mode:
    support: none
    description: Nothing to compare.
"""

EXAMPLES = r"""
- name: Wait for HEALTH_OK, or fail with ceph health detail
  ie.cluster.ceph_health:
    timeout: 600

- name: After marking an OSD in, HEALTH_OK for 15 s in a row
  ie.cluster.ceph_health:
    timeout: 3600
    settle: 15
"""

RETURN = r"""
health:
  description: The last C(ceph health detail) as parsed JSON.
  returned: always
  type: dict
waited:
  description: Seconds waited.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec, poll

RANK = {"HEALTH_OK": 0, "HEALTH_WARN": 1, "HEALTH_ERR": 2}


def effective_status(health, ignore):
    """The worst severity among the checks not ignored (and not muted)."""
    worst = 0
    for code, check in (health.get("checks") or {}).items():
        if code in ignore or check.get("muted"):
            continue
        worst = max(worst, RANK.get(check.get("severity"), 2))
    return worst


def detail_text(health):
    lines = [health.get("status", "?")]
    for code, check in sorted((health.get("checks") or {}).items()):
        lines.append("[%s] %s: %s" % (check.get("severity"), code, check["summary"]["message"]))
        for item in check.get("detail") or []:
            lines.append("    " + item.get("message", ""))
    return "\n".join(lines)


def run_module(module):
    params = module.params
    if params["timeout"] < 0 or params["interval"] < 1 or params["settle"] < 0:
        module.fail_json(msg="timeout and settle must be >= 0, and interval >= 1")
    ceph = Ceph(module)
    accept = RANK[params["status"]]
    ignore = set(params["ignore_checks"])

    def probe():
        result = ceph.runner.run(["health", "detail", "--format", "json"], check_rc=False)
        health = ceph.runner.parse_json(result) if result.ok else {"status": "UNREACHABLE"}
        return result.ok and effective_status(health, ignore) <= accept, (result, health)

    good, (result, health), waited = poll(
        probe, params["timeout"], params["interval"], params["settle"]
    )
    if good:
        module.exit_json(changed=False, health=health, waited=waited)
    text = detail_text(health) if result.ok else (result.stderr or result.stdout)
    module.fail_json(
        msg="Ceph did not reach %s%s within %ds:\n%s"
        % (
            params["status"],
            " for %ds in a row" % params["settle"] if params["settle"] else "",
            params["timeout"] + params["settle"],
            text,
        ),
        health=health,
        waited=waited,
    )


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            status=dict(type="str", choices=["HEALTH_OK", "HEALTH_WARN"], default="HEALTH_OK"),
            ignore_checks=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=300),
            interval=dict(type="int", default=5),
            settle=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
