"""Site settings the roles have no variable for, without editing a template.

Each generated configuration takes a mapping of extra keys:

- ``slurm_controller_config_extra`` (slurm.conf): ``{Key: value}``; a list
  value is joined with commas.
- ``identity_sssd_config_extra`` (sssd.conf): ``{section: {key: value}}``;
  keys go into that section, a section the role does not write is added.
- Ceph has its own: ``ceph_cluster_settings`` and ``ceph_profile_settings``
  ({who, option, value}) go to the monitors' configuration database.

The merge rule is the same everywhere: an extra key adds to what the role
writes and never replaces it. A key the role's template already writes is
refused, naming the role's variable to use instead (its template is read to
know which keys those are, so the list cannot fall behind). A key given
twice, or in a form the file cannot hold, is refused too. The preflight
(filter_plugins/preflight.py) and each role's own checks both use this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

SLURM_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# slurm.conf lines that are not settings but describe nodes and partitions:
# the roles write them from the inventory (slurm_node_hardware, the
# partition variables).
SLURM_LINES = {"nodename", "partitionname", "nodeset", "downnodes", "frontendname", "include"}
INI_SECTION = re.compile(r"[a-z]+(/[A-Za-z0-9_.-]+)?")
INI_KEY = re.compile(r"[a-z][a-z0-9_]*")
CEPH_WHO = re.compile(r"(global|mon|mgr|osd|mds|client)(\.[A-Za-z0-9_.-]+)?")
CEPH_OPTION = re.compile(r"[a-z][a-z0-9_]*")
_TEMPLATE_SLURM = re.compile(r"([A-Za-z][A-Za-z0-9]*)=")
_TEMPLATE_SECTION = re.compile(r"\[([^\]]+)\]")
_TEMPLATE_INI = re.compile(r"([a-z][a-z0-9_]*)\s*=")


def slurm_template_keys(text: str) -> set[str]:
    """The keys a slurm.conf template writes (lower case: Slurm ignores case)."""
    keys = set()
    for line in text.splitlines():
        match = _TEMPLATE_SLURM.match(line.strip())
        if match:
            keys.add(match.group(1).lower())
    return keys


def ini_template_keys(text: str) -> dict[str, set[str]]:
    """The keys an INI template (sssd.conf) writes, by section."""
    sections: dict[str, set[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        section = _TEMPLATE_SECTION.fullmatch(line)
        if section:
            current = section.group(1)
            sections.setdefault(current, set())
            continue
        match = _TEMPLATE_INI.match(line)
        if match and current:
            sections[current].add(match.group(1))
    return sections


def _as_list(value: Any) -> list:
    """A slurm.conf value's items: a list as it is, anything else alone."""
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _scalar_problem(value: Any, where: str, bools: bool) -> str:
    if isinstance(value, bool) and not bools:
        return f"{where}: {value!r} is a yes/no; write the value Slurm expects (YES, NO) as text."
    if not isinstance(value, (str, int, float)):
        return f"{where}: {value!r} must be text or a number."
    text = str(value)
    if "\n" in text or "#" in text or text.strip() != text or not text:
        return f"{where}: {text!r} must be one line, not empty, with no '#' or outer spaces."
    return ""


def slurm_extra_problems(extra: Any, template: str, where: str) -> list[str]:
    """What is wrong with ``slurm_controller_config_extra`` (``where``: the host)."""
    name = f"slurm_controller_config_extra ({where})"
    if not isinstance(extra, Mapping):
        return [f"{name}: must be a mapping of slurm.conf keys to values."]
    managed = slurm_template_keys(template)
    problems, seen = [], set()
    for key, value in extra.items():
        if not SLURM_KEY.fullmatch(str(key)):
            problems.append(f"{name}: {key!r} is not a slurm.conf key.")
            continue
        lower = str(key).lower()
        if lower in SLURM_LINES:
            problems.append(
                f"{name}: {key} lines come from the inventory (slurm_node_hardware and the "
                "slurm_controller_partition_* variables), not from extra keys."
            )
        elif lower in managed:
            problems.append(
                f"{name}: {key} is set by the slurm_controller role; use its variable "
                "(roles/slurm_controller/meta/argument_specs.yml), or ask for one."
            )
        elif lower in seen:
            problems.append(f"{name}: {key} is given twice (Slurm ignores the case of keys).")
        seen.add(lower)
        for item in _as_list(value) or [""]:
            problem = _scalar_problem(item, f"{name}: {key}", bools=False)
            if problem:
                problems.append(problem)
    return problems


def slurm_conf_lines(extra: Mapping) -> str:
    """The extra keys as slurm.conf lines, in the order given."""
    lines = []
    for key, value in extra.items():
        lines.append(f"{key}={','.join(str(v) for v in _as_list(value))}")
    return "\n".join(lines)


def ini_extra_problems(
    extra: Any, template: str, variable: str, role: str, where: str
) -> list[str]:
    """What is wrong with an INI file's extra keys (``{section: {key: value}}``)."""
    name = f"{variable} ({where})"
    if not isinstance(extra, Mapping):
        return [f"{name}: must be a mapping of sections to mappings of keys."]
    managed = ini_template_keys(template)
    problems = []
    for section, keys in extra.items():
        if not INI_SECTION.fullmatch(str(section)):
            problems.append(f"{name}: {section!r} is not a section name.")
            continue
        if not isinstance(keys, Mapping) or not keys:
            problems.append(f"{name}: [{section}] must be a mapping of keys to values.")
            continue
        for key, value in keys.items():
            if not INI_KEY.fullmatch(str(key)):
                problems.append(f"{name}: [{section}] {key!r} is not a key.")
            elif key in managed.get(str(section), set()):
                problems.append(
                    f"{name}: [{section}] {key} is set by the {role} role; use its variable "
                    f"(roles/{role}/meta/argument_specs.yml), or ask for one."
                )
            problem = _scalar_problem(value, f"{name}: [{section}] {key}", bools=True)
            if problem:
                problems.append(problem)
    return problems


def ini_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def ini_lines(keys: Mapping) -> str:
    """One section's extra keys as ``key = value`` lines."""
    return "\n".join(f"{key} = {ini_value(value)}" for key, value in keys.items())


def ceph_settings_problems(settings: Any, conf_template: str, where: str) -> list[str]:
    """What is wrong with the Ceph settings (ceph_cluster_settings +
    ceph_profile_settings, as playbooks/ceph.yml joins them): each needs
    who, option and value; an option ceph.conf sets would be shadowed by
    ceph.conf, and one given twice would be set back and forth."""
    name = f"ceph_cluster_settings + ceph_profile_settings ({where})"
    if not isinstance(settings, Sequence) or isinstance(settings, str):
        return [f"{name}: must be a list of {{who, option, value}}."]
    in_conf = set().union(*ini_template_keys(conf_template).values())
    problems, seen = [], set()
    for item in settings:
        if not isinstance(item, Mapping) or {"who", "option", "value"} - set(item):
            problems.append(f"{name}: {item!r} needs who, option and value.")
            continue
        who, option = str(item["who"]), str(item["option"])
        if not CEPH_WHO.fullmatch(who) or not CEPH_OPTION.fullmatch(option):
            problems.append(f"{name}: {who} {option} is not a Ceph daemon type and option.")
        elif option in in_conf:
            problems.append(
                f"{name}: {option} is written to ceph.conf by the ceph role, which daemons "
                "read before the configuration database; use the ceph role's variables."
            )
        elif (who, option) in seen:
            problems.append(
                f"{name}: {who} {option} is given twice; each run would set it back and forth."
            )
        seen.add((who, option))
    return problems
