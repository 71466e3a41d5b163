"""The preflight's checks of the services' values: quotas and limits,
Slurm, Ceph, backups, the registry, the console and where the alerts go
(filter_plugins/preflight.py reads the inventory and checks its groups and
addresses; playbooks/preflight.yml runs both). Each problem names the
variable, the host, and the fix.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import wall_minutes
from ansible_collections.ie.cluster.plugins.plugin_utils.backup_points import (
    dest_problem,
    path_problem,
)

TOKEN = re.compile(r"[A-Za-z0-9_.-]+")
HARDWARE = ("sockets", "cores_per_socket", "threads_per_core", "real_memory")
VM_LIMITS = ("vms", "vcpus", "memory_mib", "disk_gib")
# What the view keeps of a TLS secret: only whether it has its shape.
PEM, NOT_PEM = "(PEM)", "(not PEM)"
LONG_ENOUGH, TOO_SHORT = "(16 characters or more)", "(too short)"


def members(groups: Mapping, name: str) -> list[str]:
    return list(groups.get(name) or [])


def is_count(value: Any, least: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _counts(name: str, where: str, values: Any, keys: Sequence[str], least: int = 1) -> list[str]:
    if not isinstance(values, Mapping):
        return [f"{name} ({where}): {values!r} is not a mapping of {', '.join(keys)}."]
    return [
        f"{name} ({where}): {key} is {values[key]!r}; it must be a whole number of at least "
        f"{least}."
        for key in keys
        if key in values and not is_count(values[key], least)
    ]


def check_limits(hosts: Mapping, groups: Mapping) -> list[str]:
    problems = []
    for host in members(groups, "podman_hosts"):
        hv = hosts.get(host, {})
        where = f"host {host}"
        if "ie_podman_quota" in hv:
            problems += _counts(
                "ie_podman_quota", where, hv["ie_podman_quota"], ("containers", "images")
            )
        for user, quota in (hv.get("ie_podman_user_quotas") or {}).items():
            problems += _counts(
                f"ie_podman_user_quotas.{user}", where, quota, ("containers", "images")
            )
        for name in ("ie_podman_max_upload_mib", "ie_podman_max_sif_mib"):
            if name in hv and not is_count(hv[name]):
                problems.append(
                    f"{name} ({where}): {hv[name]!r}; it must be a whole number of MiB, at least 1."
                )
    for host in members(groups, "kvm_hosts"):
        hv = hosts.get(host, {})
        where = f"host {host}"
        host_limits = (
            hv.get("ie_virsh_host_limits")
            if isinstance(hv.get("ie_virsh_host_limits"), Mapping)
            else {}
        )
        sets = [("ie_virsh_limits", hv["ie_virsh_limits"])] if "ie_virsh_limits" in hv else []
        sets += [
            (f"ie_virsh_user_limits.{u}", v)
            for u, v in (hv.get("ie_virsh_user_limits") or {}).items()
        ]
        for name, limits in sets:
            found = _counts(name, where, limits, VM_LIMITS)
            problems += found
            if found or not isinstance(limits, Mapping):
                continue
            for key in VM_LIMITS:
                if (
                    key in limits
                    and is_count(host_limits.get(key))
                    and limits[key] > host_limits[key]
                ):
                    problems.append(
                        f"{name} ({where}): {key} {limits[key]} is more than the whole host allows "
                        f"(ie_virsh_host_limits {key} {host_limits[key]}). Lower it."
                    )
    return problems


def check_slurm(hosts: Mapping, groups: Mapping) -> list[str]:
    problems = []
    memories = []
    for host in members(groups, "slurm_compute"):
        hv = hosts.get(host, {})
        hw = hv.get("slurm_node_hardware")
        if hw is None:
            continue
        found = _counts("slurm_node_hardware", f"host {host}", hw, HARDWARE)
        problems += found
        if not isinstance(hw, Mapping):
            continue
        if "real_memory" in hw and is_count(hw["real_memory"]):
            memories.append(hw["real_memory"])
        gpus = hw.get("gpus", 0)
        if not is_count(gpus, 0):
            problems.append(
                f"slurm_node_hardware (host {host}): gpus is {gpus!r}; it must be 0 or more."
            )
            continue
        gpu_type = str(hw.get("gpu_type") or hv.get("slurm_gpu_type") or "")
        wanted = hv.get("slurm_gpu_job_types")
        if gpus and not TOKEN.fullmatch(gpu_type):
            problems.append(
                f"slurm_gpu_type (host {host}): {gpu_type!r} is not a GRES type name (letters, "
                "digits, _.-)."
            )
        elif gpus and isinstance(wanted, list) and gpu_type not in wanted:
            problems.append(
                f"slurm_gpu_type (host {host}): {gpu_type!r} is not a type that students' job "
                "scripts ask "
                f"for (slurm_gpu_job_types: {', '.join(map(str, wanted))}; the student guide's "
                "#SBATCH --gpus tesla:1): slurm.conf and gres.conf would name it and those jobs "
                "be refused. "
                "Use one of them, or add it to slurm_gpu_job_types and tell the students."
            )
    for host in members(groups, "slurm_controller"):
        problems += _slurm_policy(host, hosts.get(host, {}), min(memories) if memories else None)
    return problems


def _slurm_policy(host: str, hv: Mapping, smallest_memory: int | None) -> list[str]:
    problems = []
    where = f"host {host}"
    times = {}
    for name in ("slurm_controller_default_time", "slurm_controller_max_time"):
        if name in hv:
            try:
                times[name] = wall_minutes(hv[name])
            except ValueError:
                problems.append(f"{name} ({where}): {hv[name]!r} is not a Slurm time (D-HH:MM:SS).")
    default, longest = (
        times.get("slurm_controller_default_time"),
        times.get("slurm_controller_max_time"),
    )
    if default is not None and longest is not None and default > longest:
        problems.append(
            f"slurm_controller_default_time ({where}): {hv['slurm_controller_default_time']} is "
            "longer than "
            f"slurm_controller_max_time {hv['slurm_controller_max_time']}. Shorten it."
        )
    mem = hv.get("slurm_controller_def_mem_per_cpu")
    if mem is not None and not is_count(mem):
        problems.append(
            f"slurm_controller_def_mem_per_cpu ({where}): {mem!r}; it must be MB, at least 1."
        )
    elif mem is not None and smallest_memory is not None and mem > smallest_memory:
        problems.append(
            f"slurm_controller_def_mem_per_cpu ({where}): {mem} MB is more than the smallest "
            "node's "
            f"real_memory ({smallest_memory} MB): a one-CPU job could run nowhere. Lower it."
        )
    tiers = hv.get("slurm_controller_qos_tiers")
    if isinstance(tiers, list):
        problems += _qos(where, tiers, longest)
    return problems


def _qos(where: str, tiers: list, longest: int | None) -> list[str]:
    problems = []
    names = [str(t.get("name")) for t in tiers if isinstance(t, Mapping)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"slurm_controller_qos_tiers ({where}): the tier {name} is listed twice.")
    previous = 0
    for i, tier in enumerate(tiers):
        if not isinstance(tier, Mapping) or not TOKEN.fullmatch(str(tier.get("name", ""))):
            problems.append(
                f"slurm_controller_qos_tiers ({where}): entry {i + 1} needs a name (letters, "
                "digits, _.-)."
            )
            continue
        try:
            wall = wall_minutes(tier.get("max_wall", ""))
        except ValueError:
            problems.append(
                f"slurm_controller_qos_tiers ({where}): {tier['name']}'s max_wall "
                f"{tier.get('max_wall')!r} is not a Slurm time."
            )
            continue
        if wall is None and i != len(tiers) - 1:
            problems.append(
                f"slurm_controller_qos_tiers ({where}): {tier['name']} has no max_wall but is not "
                "the last "
                "tier; only the last one may be unlimited."
            )
        elif wall is not None and wall <= previous:
            problems.append(
                f"slurm_controller_qos_tiers ({where}): {tier['name']}'s max_wall is not longer "
                "than the tier "
                "before it; list the tiers from the shortest time limit up."
            )
        elif wall is not None and longest is not None and wall > longest:
            problems.append(
                f"slurm_controller_qos_tiers ({where}): {tier['name']}'s max_wall is longer than "
                "slurm_controller_max_time, which no job may pass."
            )
        previous = wall if wall is not None else previous
    return problems


def check_ceph(hosts: Mapping, groups: Mapping) -> list[str]:
    problems = []
    osd_hosts = len(members(groups, "ceph_osd"))
    for host in members(groups, "ceph_mon")[:1]:
        hv = hosts.get(host, {})
        if "ceph_fsid" in hv:
            try:
                uuid.UUID(str(hv["ceph_fsid"]))
            except ValueError:
                problems.append(
                    f"ceph_fsid (host {host}): {hv['ceph_fsid']!r} is not a UUID. Put `uuidgen`'s "
                    "output in the vault (vault_ceph_fsid)."
                )
        settings = {
            str(s.get("option")): s.get("value")
            for s in hv.get("ceph_cluster_settings") or []
            if isinstance(s, Mapping) and s.get("who") == "global"
        }
        size, min_size = (
            settings.get("osd_pool_default_size"),
            settings.get("osd_pool_default_min_size"),
        )
        if size is not None and (not is_count(size) or size > osd_hosts):
            problems.append(
                f"ceph_cluster_settings (host {host}): osd_pool_default_size {size!r} needs that "
                "many OSD hosts "
                f"(ceph_osd has {osd_hosts}); the pools would never be healthy. Lower it or add "
                "OSD hosts."
            )
        if (
            min_size is not None
            and size is not None
            and (not is_count(min_size) or (is_count(size) and min_size > size))
        ):
            problems.append(
                f"ceph_cluster_settings (host {host}): osd_pool_default_min_size {min_size!r} "
                "must be 1 to "
                f"osd_pool_default_size ({size})."
            )
    return problems


def check_backups(hosts: Mapping, groups: Mapping) -> list[str]:
    problems = []
    sources = set(members(groups, "backup_sources"))
    every = set(members(groups, "all"))
    for host in members(groups, "backup_server"):
        hv = hosts.get(host, {})
        where = f"host {host}"
        for i, level in enumerate(hv.get("rsnapshot_levels") or []):
            keep = level.get("keep") if isinstance(level, Mapping) else None
            if not is_count(keep):
                name = level.get("name", i + 1) if isinstance(level, Mapping) else i + 1
                problems.append(
                    f"rsnapshot_levels ({where}): level {name} keeps {keep!r}; keep at least 1 "
                    "snapshot."
                )
        dests: set[str] = set()
        for entry in hv.get("rsnapshot_backups") or []:
            if not isinstance(entry, Mapping):
                problems.append(
                    f"rsnapshot_backups ({where}): {entry!r} is not a mapping of host, path, dest."
                )
                continue
            source, path, dest = (
                str(entry.get("host")),
                str(entry.get("path", "")),
                str(entry.get("dest", "")),
            )
            label = f"rsnapshot_backups ({where}, {source}:{path})"
            if source not in every:
                problems.append(f"{label}: {source} is not a host of the inventory.")
            elif source not in sources:
                problems.append(
                    f"{label}: {source} is not in backup_sources, so it would not let the backup "
                    "server in. Add it there."
                )
            if bad_path := path_problem(path):
                problems.append(f"{label}: {bad_path}")
            if bad_dest := dest_problem(dest):
                problems.append(f"{label}: {bad_dest}")
            elif dest in dests:
                problems.append(f"{label}: dest {dest} is used twice; each source needs its own.")
            dests.add(dest)
    return problems


def _check_tls(hosts: Mapping, groups: Mapping, group: str, prefix: str, names) -> list[str]:
    """With PREFIX_tls_mode provided (the default), each of NAMES of the
    group's hosts must be PEM text from the vault."""
    problems = []
    for host in members(groups, group):
        hv = hosts.get(host, {})
        if hv.get(f"{prefix}_tls_mode", "provided") != "provided":
            continue
        for name in names:
            if hv.get(name) != PEM:
                problems.append(
                    f"{name} (host {host}): {prefix}_tls_mode is provided but this is not a PEM "
                    f"{'private key' if name.endswith('key') else 'certificate'}. Put it in the "
                    f"vault (vault_{name.removeprefix('ie_')})."
                )
    return problems


def check_registry(hosts: Mapping, groups: Mapping) -> list[str]:
    names = ("registry_tls_cert", "registry_tls_key", "registry_tls_ca")
    return _check_tls(hosts, groups, "registry", "registry", names)


def check_console(hosts: Mapping, groups: Mapping) -> list[str]:
    """The web console's certificate, and a host that has what its agent
    runs for the students: ie-podman, ie-virsh and the Slurm commands."""
    problems = _check_tls(
        hosts, groups, "web_console", "ie_console", ("ie_console_tls_cert", "ie_console_tls_key")
    )
    for host in members(groups, "web_console"):
        lacking = [g for g in CONSOLE_NEEDS if host not in members(groups, g)]
        if lacking:
            problems.append(
                f"group web_console: {host} is not in {', '.join(lacking)}; the console's agent "
                "runs the students' ie-podman, ie-virsh and Slurm commands on its own host. "
                "Put the console on a general server (hosts.yml)."
            )
    return problems


MAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")
HOST_PORT = re.compile(r"[^\s:]+:[0-9]+")


def check_monitoring(hosts: Mapping, groups: Mapping) -> list[str]:
    """The monitoring host's Alertmanager mails the alerts: it needs the
    admins' address and the department's relay (roles/alertmanager)."""
    problems = []
    for host in members(groups, "monitoring"):
        hv = hosts.get(host, {})
        to, relay = hv.get("alertmanager_email_to", ""), hv.get("alertmanager_smarthost", "")
        if not MAIL_ADDRESS.fullmatch(str(to)):
            problems.append(
                f"alertmanager_email_to (host {host}): {to!r} is not a mail address. The "
                "alerts are mailed there: the admins' list (group_vars/monitoring.yml)."
            )
        if not HOST_PORT.fullmatch(str(relay)):
            problems.append(
                f"alertmanager_smarthost (host {host}): {relay!r} is not host:port. The "
                "alerts go through the department's mail relay (group_vars/monitoring.yml)."
            )
    if members(groups, "monitoring"):
        for host, hv in sorted(hosts.items()):
            if hv.get("monitoring_scrape_password", TOO_SHORT) != LONG_ENOUGH:
                problems.append(
                    f"monitoring_scrape_password (host {host}): missing or shorter than 16 "
                    "characters. Prometheus logs in to every node exporter with it: set "
                    "vault_monitoring_scrape_password in the vault (tools/new-vault makes one)."
                )
    return problems


# What the web console's host must also be (its agent runs these locally).
CONSOLE_NEEDS = ("podman_hosts", "kvm_hosts", "slurm_compute", "login_hosts")
