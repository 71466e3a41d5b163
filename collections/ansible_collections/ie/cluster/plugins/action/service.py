# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.service: a systemd unit started or stopped, enabled, disabled
or masked, as ansible.builtin.systemd_service does it, with one shell command
where nothing is to change.

ansible.builtin.systemd_service starts Python and the module on the host,
which asks systemd for the unit's whole state, also on a re-run where the
service runs and is enabled. This action first asks ``systemctl is-enabled``
and ``systemctl is-active`` in one shell command over the task's connection
(with its become). When the answers are exactly what the task asks, it
returns unchanged; anything else (a unit to start, stop, enable or disable,
``static``, ``activating``, an answer not understood) runs
ansible.builtin.systemd_service with the same arguments, which does the
work, check mode included. So does ``daemon_reload`` true: systemd reads
the unit files again first (a task gives it as ``UNIT_WRITTEN is changed``).
"""

from __future__ import absolute_import, annotations, division, print_function

import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ShellFirst

__metaclass__ = type

ALLOWED = frozenset({"name", "state", "enabled", "masked", "daemon_reload"})
ACTIVE = {"started": "active", "stopped": "inactive"}
ENABLED = {True: "enabled", False: "disabled"}


def probe_command(name: str) -> str:
    """One shell command: systemctl's is-enabled and is-active answers, a line each."""
    quoted = shlex.quote(name)
    return f"systemctl is-enabled -- {quoted}; systemctl is-active -- {quoted}; true"


def already_so(args: dict, stdout: str) -> bool:
    """Would ansible.builtin.systemd_service with ``args`` change nothing,
    systemctl having answered ``stdout``?"""
    lines = stdout.strip().splitlines()
    enabled = "masked" if args.get("masked") else ENABLED[args["enabled"]]
    return len(lines) == 2 and lines == [enabled, ACTIVE[args["state"]]]


def check_service_arguments(args: dict) -> None:
    """A unit's name, a state of ACTIVE, enabled true or false and, if
    given, masked (only a stopped, disabled unit is masked) and
    daemon_reload (true or false), nothing else."""
    odd = sorted(set(args) - ALLOWED)
    if odd:
        raise AnsibleActionFail(
            "ie.cluster.service does not take %s (it takes name, state, enabled, masked and"
            " daemon_reload;"
            " the rest is ansible.builtin.systemd_service's)" % ", ".join(odd)
        )
    if not isinstance(args.get("name"), str) or not args["name"]:
        raise AnsibleActionFail("ie.cluster.service needs name, the unit")
    if args.get("state") not in ACTIVE:
        raise AnsibleActionFail(
            "ie.cluster.service's state is started or stopped, not %r" % (args.get("state"),)
        )
    if not isinstance(args.get("enabled"), bool):
        raise AnsibleActionFail("ie.cluster.service needs enabled, true or false")
    for key in ("masked", "daemon_reload"):
        if args.get(key) is not None and not isinstance(args[key], bool):
            raise AnsibleActionFail("ie.cluster.service's %s is true or false" % key)
    if args.get("masked") and (args["enabled"] or args["state"] != "stopped"):
        raise AnsibleActionFail("ie.cluster.service masks a unit only stopped and not enabled")


class ActionModule(ShellFirst):
    BUILTIN = "ansible.legacy.systemd_service"

    def arguments(self):
        args = dict(self._task.args)
        for key in ("enabled", "masked", "daemon_reload"):
            if isinstance(args.get(key), str):  # a templated boolean
                args[key] = boolean(args[key], strict=True)
        check_service_arguments(args)
        return args

    def probe(self, args):
        return probe_command(args["name"])

    def unchanged(self, args, rc, stdout):
        if args.get("daemon_reload") or rc != 0 or not already_so(args, stdout):
            return None
        return {
            "changed": False,
            "name": args["name"],
            "state": args["state"],
            "enabled": args["enabled"],
            **({"masked": args["masked"]} if "masked" in args else {}),
            "checked_by_shell": True,
        }
