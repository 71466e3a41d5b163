#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_mds_failover
short_description: Hand a Ceph metadata server's ranks to a standby before it stops
description:
  - Reads C(ceph fs dump). When the metadata server O(name) holds a rank of a
    file system (active, or on its way there), it runs C(ceph mds fail) for it
    and waits until every rank of that file system is active on another
    daemon. The failed daemon starts again as a standby.
  - Done while the daemon still runs, the clients reconnect to the new active
    daemon at once; when an active daemon stops with its host, the standby
    can wait for clients of the stopped host that will not reconnect (up to
    the MDS reconnect timeout), and the other clients' requests wait as long.
  - A daemon that holds no rank (a standby, or a standby-replay follower)
    is left as it is (not changed).
  - Fails before changing anything when no standby could take the rank over.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  name:
    description: The metadata server's name (C(mds.NAME) without the C(mds.)).
    type: str
    required: true
  timeout:
    description: Seconds to wait until the ranks are active elsewhere.
    type: int
    default: 300
  interval:
    description: Seconds between two reads of the file system map.
    type: int
    default: 2
attributes:
  check_mode:
    support: full
    description: Reports whether the daemon holds a rank; fails nothing over.
  diff_mode:
    support: none
    description: Nothing to compare.
"""

EXAMPLES = r"""
- name: Hand gs02's ranks to a standby before gs02 reboots
  ie.cluster.ceph_mds_failover:
    name: gs02
    timeout: 600
  delegate_to: gs01
"""

RETURN = r"""
ranks:
  description: The ranks the daemon held, as C(FSNAME:RANK).
  returned: always
  type: list
  elements: str
  sample: ["cephfs:0"]
active:
  description: After a failover, each of those file systems' active daemons, as C(FSNAME:RANK) to name.
  returned: when changed and not in check mode
  type: dict
  sample: {"cephfs:0": "gs01"}
waited:
  description: Seconds waited for the ranks to be active elsewhere.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec, poll

# A standby-replay follower has a rank in the map but only reads its
# journal: it holds nothing the clients wait for, so it is not failed over.
FOLLOWER = "up:standby-replay"


def _daemons(dump):
    """``(FSNAME, daemon)`` for every daemon of every file system in ``ceph fs dump``."""
    for fs in dump.get("filesystems") or []:
        mdsmap = fs.get("mdsmap") or {}
        for daemon in (mdsmap.get("info") or {}).values():
            yield mdsmap.get("fs_name"), daemon


def ranks_held(dump, name):
    """``FSNAME:RANK`` of every rank the daemon ``name`` holds in ``ceph fs dump``."""
    return sorted(
        "%s:%d" % (fs_name, daemon["rank"])
        for fs_name, daemon in _daemons(dump)
        if daemon.get("name") == name
        and daemon.get("rank", -1) >= 0
        and daemon.get("state") != FOLLOWER
    )


def can_take_over(dump, name, held):
    """Whether a standby (or a follower of each held rank) other than ``name`` is there."""
    if any(s.get("name") != name for s in dump.get("standbys") or []):
        return True
    followed = set(
        "%s:%d" % (fs_name, daemon.get("rank", -1))
        for fs_name, daemon in _daemons(dump)
        if daemon.get("state") == FOLLOWER and daemon.get("name") != name
    )
    return set(held) <= followed


def active_elsewhere(dump, name, held):
    """``{FSNAME:RANK: daemon}`` when every rank of the file systems in ``held``
    is up:active on a daemon other than ``name``; None while one is not."""
    wanted = set(rank.rpartition(":")[0] for rank in held)
    active = {}
    for fs in dump.get("filesystems") or []:
        mdsmap = fs.get("mdsmap") or {}
        fs_name = mdsmap.get("fs_name")
        if fs_name not in wanted:
            continue
        wanted.discard(fs_name)
        info = mdsmap.get("info") or {}
        up = mdsmap.get("up") or {}
        for rank in mdsmap.get("in") or []:
            daemon = info.get("gid_%s" % up.get("mds_%d" % rank)) or {}
            if daemon.get("state") != "up:active" or daemon.get("name") == name:
                return None
            active["%s:%d" % (fs_name, rank)] = daemon["name"]
    return None if wanted else active


def run_module(module):
    params = module.params
    name = params["name"]
    if params["timeout"] < 0 or params["interval"] < 1:
        module.fail_json(msg="timeout must be >= 0 and interval >= 1")
    ceph = Ceph(module)
    dump = ceph.read(["fs", "dump"])
    held = ranks_held(dump, name)
    if not held or module.check_mode:
        module.exit_json(changed=bool(held), ranks=held, waited=0.0)
    if not can_take_over(dump, name, held):
        module.fail_json(
            msg="mds.%s holds %s and no standby could take it over: start another metadata server first"
            % (name, ", ".join(held)),
            ranks=held,
        )
    ceph.change(["mds", "fail", name])

    def probe():
        dump = ceph.read(["fs", "dump"])
        active = active_elsewhere(dump, name, held)
        return active is not None, (dump, active)

    done, (dump, active), waited = poll(probe, params["timeout"], params["interval"])
    if done:
        module.exit_json(changed=True, ranks=held, active=active, waited=waited)
    states = [
        "%s:%s %s %s" % (fs_name, d.get("rank"), d.get("name"), d.get("state"))
        for fs_name, d in _daemons(dump)
    ]
    module.fail_json(
        msg="after ceph mds fail %s, %s not active on another daemon within %ds: %s"
        % (name, ", ".join(held), params["timeout"], "; ".join(sorted(states)) or "no daemon"),
        ranks=held,
        waited=waited,
    )


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            name=dict(type="str", required=True),
            timeout=dict(type="int", default=300),
            interval=dict(type="int", default=2),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
