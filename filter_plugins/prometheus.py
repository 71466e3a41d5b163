"""Filters for the prometheus role: the repository's rules with other holds.

The rules file (roles/prometheus/files/rules/ie-cluster.rules.yml) is what
promtool tests. An inventory may give some alerts another hold (the rule's
``for``): the lab does, so that molecule/site sees its alerts raise and
resolve in seconds, not minutes (docs/admin-guide.md, the lab's
differences). Without holds the file is installed as it is, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


def alert_holds(rules_text: str, holds: Mapping[str, str] | None) -> str:
    """``rules_text`` with ``for: holds[alert]`` on each named alert; a hold
    of ``0s`` removes the rule's ``for``. A name that is no alert of the
    file, or a hold that is no Prometheus duration, is an error."""
    if not isinstance(rules_text, str):
        raise AnsibleFilterError("alert_holds: expected the rules file's text")
    if not holds:
        return rules_text
    if not isinstance(holds, Mapping):
        raise AnsibleFilterError(
            "alert_holds: the holds must be a mapping of alert name to duration"
        )
    rules: Any = yaml.safe_load(rules_text)
    alerts = {
        rule["alert"]: rule
        for group in rules.get("groups", [])
        for rule in group.get("rules", [])
        if "alert" in rule
    }
    unknown = sorted(set(holds) - set(alerts))
    if unknown:
        raise AnsibleFilterError(
            f"prometheus_alert_holds names no alert of the rules: {', '.join(unknown)}"
            f" (the alerts: {', '.join(sorted(alerts))})"
        )
    for name, hold in holds.items():
        if not isinstance(hold, str) or not _DURATION.fullmatch(hold):
            raise AnsibleFilterError(
                f"prometheus_alert_holds: the hold of {name} must be a duration"
                f" (30s, 5m), not {hold!r}"
            )
        if re.fullmatch(r"(0+(ms|s|m|h|d|w|y))+", hold):
            alerts[name].pop("for", None)
        else:
            alerts[name]["for"] = str(hold)  # a plain str: Ansible passes tagged ones
    return "---\n" + yaml.safe_dump(rules, sort_keys=False, allow_unicode=True, width=1000)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"alert_holds": alert_holds}
