# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ceph`` command line for the ie.cluster ceph_* modules.

Every call is an argv list through :class:`CommandRunner`; reads ask for
``--format json``; changes are marked mutating, so check mode reads the
cluster and reports the truth without changing it. The options every module
shares are :data:`CEPH_COMMON_ARGS` (documented in doc_fragments/ceph.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.ie.cluster.plugins.module_utils.reconcile import finish
from ansible_collections.ie.cluster.plugins.module_utils.runner import CommandRunner

CEPH_COMMON_ARGS = dict(
    cluster=dict(type="str", default="ceph"),
    auth_name=dict(type="str"),
    keyring=dict(type="path", no_log=False),
    connect_timeout=dict(type="int", default=30),
)

# ``ceph`` exits with ENOENT (2) when the thing asked for does not exist.
ENOENT = 2


def poll(probe, timeout, interval, settle=0):
    """Call ``probe()`` every ``interval`` seconds until it returns
    ``(True, value)`` on every call for ``settle`` seconds in a row (at once
    when 0), or until ``timeout + settle`` seconds have passed.

    Returns ``(done, value, waited)``: whether it ended done, the last
    call's value, and the seconds since the first call."""
    start = time.monotonic()
    done_since = None
    while True:
        done, value = probe()
        now = time.monotonic()
        if done:
            done_since = now if done_since is None else done_since
            if now - done_since >= settle:
                return True, value, round(now - start, 1)
        else:
            done_since = None
        if now - start >= timeout + settle:
            return False, value, round(now - start, 1)
        time.sleep(interval)


def ceph_argument_spec(**specific):
    spec = dict(CEPH_COMMON_ARGS)
    spec.update(specific)
    return spec


class Ceph(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        base = ["--cluster", params["cluster"], "--connect-timeout", params["connect_timeout"]]
        if params.get("auth_name"):
            base += ["--name", params["auth_name"]]
        if params.get("keyring"):
            base += ["--keyring", params["keyring"]]
        self.runner = CommandRunner(module, "ceph", base_args=base)

    def read(self, args, missing_ok=False):
        """Parsed JSON of a read-only command; None when ``missing_ok`` and it is ENOENT."""
        result = self.runner.run([*args, "--format", "json"], check_rc=False)
        if result.rc == ENOENT and missing_ok:
            return None
        if not result.ok:
            self.module.fail_json(
                msg="command failed (rc=%d): %s" % (result.rc, " ".join(result.argv)),
                **result.as_dict(),
            )
        return self.runner.parse_json(result)

    def change(self, args, data=None):
        """Run a changing command (skipped in check mode)."""
        return self.runner.run(list(args), mutating=True, data=data)

    def finish(self, key, have, want, read_back, extra=None, also_changed=False):
        finish(
            self.module,
            key,
            have,
            want,
            self.runner.changing_commands(),
            read_back,
            "ceph",
            extra,
            also_changed,
        )
