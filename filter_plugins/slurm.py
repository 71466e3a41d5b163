"""Filters that render Slurm's node and GRES configuration from the inventory.

Node lines come from per-host (or per-group) hardware variables, never from
gathered facts, so `--limit` on one host renders exactly what a full run
renders. Hosts with identical hardware share one line with a compressed
hostlist (``gs[01-04]``), as Slurm's own tools write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import wall_minutes
from ansible_collections.ie.cluster.plugins.plugin_utils.slurm_templates import (
    gpu_request,
    image_reference,
    memory_mb,
)

_NAME = re.compile(r"^(?P<prefix>.*?)(?P<num>\d*)$")
# Set by the nvidia role on each host it ran on: the GPU device files found.
DETECTED_GPUS_VAR = "nvidia_gpu_devices"
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _split(name: str) -> tuple[str, str]:
    m = _NAME.match(name)
    assert m is not None  # the pattern matches every string
    return m.group("prefix"), m.group("num")


def _natural(name: str) -> tuple[str, int, str]:
    prefix, num = _split(name)
    return prefix, int(num) if num else -1, name


def slurm_hostlist(names: Iterable[str]) -> str:
    """Compress host names into a Slurm hostlist: gs01,gs02,gs04 -> gs[01-02,04].

    Names are grouped by prefix and by the width of their numeric suffix
    (zero padding matters: node9 and node10 stay apart from node09).
    """
    if isinstance(names, (str, bytes)):
        raise AnsibleFilterError("slurm_hostlist: expected a list of host names, got a string")
    groups: dict[tuple[str, int], set[int]] = {}
    plain: list[str] = []
    order: list[tuple[str, int] | str] = []
    for raw in names:
        name = str(raw)
        if not _HOST.match(name):
            raise AnsibleFilterError(f"slurm_hostlist: {name!r} is not a valid host name")
        prefix, num = _split(name)
        if not num:
            if name not in plain:
                plain.append(name)
                order.append(name)
            continue
        key = (prefix, len(num))
        if key not in groups:
            groups[key] = set()
            order.append(key)
        groups[key].add(int(num))

    parts: list[str] = []
    for key in sorted(order, key=lambda k: (k, 0) if isinstance(k, str) else (k[0], k[1])):
        if isinstance(key, str):
            parts.append(key)
            continue
        prefix, width = key
        nums = sorted(groups[key])
        ranges: list[str] = []
        start = prev = nums[0]
        for n in [*nums[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            ranges.append(
                f"{start:0{width}d}" if start == prev else f"{start:0{width}d}-{prev:0{width}d}"
            )
            if n is not None:
                start = prev = n
        if len(nums) == 1:
            parts.append(f"{prefix}{ranges[0]}")
        else:
            parts.append(f"{prefix}[{','.join(ranges)}]")
    return ",".join(parts)


def slurm_hostlist_expand(expression: str) -> list[str]:
    """Expand a Slurm hostlist: gs[01-02,04],st01 -> [gs01, gs02, gs04, st01]."""
    if not isinstance(expression, str):
        raise AnsibleFilterError(f"slurm_hostlist_expand: expected a string, got {expression!r}")
    hosts: list[str] = []
    for item in re.findall(r"[^,\[]+(?:\[[^\]]*\])?[^,]*", expression):
        m = re.fullmatch(r"([^\[\]]*)\[([^\]]+)\]([^\[\]]*)", item)
        if not m:
            if "[" in item or "]" in item:
                raise AnsibleFilterError(f"slurm_hostlist_expand: cannot parse {item!r}")
            hosts.append(item)
            continue
        prefix, body, suffix = m.groups()
        for part in body.split(","):
            lo, _, hi = part.partition("-")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                raise AnsibleFilterError(f"slurm_hostlist_expand: bad range {part!r} in {item!r}")
            hi = hi or lo
            if int(hi) < int(lo):
                raise AnsibleFilterError(f"slurm_hostlist_expand: empty range {part!r}")
            width = len(lo)
            hosts.extend(f"{prefix}{n:0{width}d}{suffix}" for n in range(int(lo), int(hi) + 1))
    return hosts


_HW_KEYS = {
    "sockets",
    "cores_per_socket",
    "threads_per_core",
    "real_memory",
    "gpus",
    "gpu_type",
    "gpu_files",
    "features",
    "weight",
}


def _positive_int(host: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        try:
            if isinstance(value, str) and value.isdigit() and int(value) > 0:
                return int(value)
        except ValueError:
            pass
        raise AnsibleFilterError(
            f"slurm_node_lines: host {host}: {key} must be a positive integer, got {value!r}"
        )
    return value


def _node_spec(host: str, hw: Mapping[str, Any], gpu_type_default: str) -> tuple:
    if not isinstance(hw, Mapping):
        raise AnsibleFilterError(
            f"slurm_node_lines: host {host}: the hardware variable must be a dict, got {hw!r}"
        )
    unknown = set(hw) - _HW_KEYS
    if unknown:
        raise AnsibleFilterError(
            f"slurm_node_lines: host {host}: unknown hardware keys {sorted(unknown)}; "
            f"known: {sorted(_HW_KEYS)}"
        )
    for key in ("sockets", "cores_per_socket", "threads_per_core", "real_memory"):
        if key not in hw:
            raise AnsibleFilterError(f"slurm_node_lines: host {host}: missing {key}")
    sockets = _positive_int(host, "sockets", hw["sockets"])
    cores = _positive_int(host, "cores_per_socket", hw["cores_per_socket"])
    threads = _positive_int(host, "threads_per_core", hw["threads_per_core"])
    memory = _positive_int(host, "real_memory", hw["real_memory"])
    gpus = hw.get("gpus", 0) or 0
    if gpus:
        gpus = _positive_int(host, "gpus", gpus)
    gpu_type = str(hw.get("gpu_type") or gpu_type_default)
    if gpus and not _TOKEN.match(gpu_type):
        raise AnsibleFilterError(f"slurm_node_lines: host {host}: bad gpu_type {gpu_type!r}")
    files = hw.get("gpu_files")
    if gpus:
        if files is None:
            files = [f"/dev/nvidia{i}" for i in range(gpus)]
        if isinstance(files, str) or len(files) != gpus:
            raise AnsibleFilterError(
                f"slurm_node_lines: host {host}: gpu_files must list {gpus} device(s), "
                f"got {files!r}"
            )
        for f in files:
            if not re.fullmatch(r"/dev/[A-Za-z0-9_/-]+", str(f)):
                raise AnsibleFilterError(f"slurm_node_lines: host {host}: bad device path {f!r}")
    features = tuple(sorted(str(f) for f in hw.get("features", []) or []))
    for f in features:
        if not _TOKEN.match(f):
            raise AnsibleFilterError(f"slurm_node_lines: host {host}: bad feature {f!r}")
    weight = hw.get("weight")
    if weight is not None:
        weight = _positive_int(host, "weight", weight)
    return (
        sockets,
        cores,
        threads,
        memory,
        gpus,
        gpu_type if gpus else "",
        tuple(files) if gpus else (),
        features,
        weight,
    )


def _group_by_spec(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    hardware_var: str,
    gpu_type: str,
) -> list[tuple[tuple, list[str]]]:
    if isinstance(hosts, (str, bytes)):
        raise AnsibleFilterError("slurm_node_lines: expected a list of host names, got a string")
    by_spec: dict[tuple, list[str]] = {}
    for host in dict.fromkeys(hosts):
        hv = hostvars.get(host)
        if hv is None:
            raise AnsibleFilterError(f"slurm_node_lines: host {host} is not in the inventory")
        if hardware_var not in hv:
            raise AnsibleFilterError(
                f"slurm_node_lines: host {host} has no {hardware_var}; describe its hardware "
                "in the inventory (group_vars or host_vars)"
            )
        hw = hv[hardware_var]
        detected = hv.get(DETECTED_GPUS_VAR)
        if (
            isinstance(hw, Mapping)
            and isinstance(detected, Sequence)
            and not isinstance(detected, (str, bytes))
        ):
            # The nvidia role ran on this host in this play run: what it found
            # wins over the inventory (a host without a GPU advertises none).
            hw = {k: v for k, v in hw.items() if k not in ("gpus", "gpu_files")}
            if detected:
                hw.update(gpus=len(detected), gpu_files=list(detected))
        spec = _node_spec(host, hw, gpu_type)
        by_spec.setdefault(spec, []).append(host)
    # Lines in the natural order of each group's first host: gs[01,03] before gs02.
    return sorted(by_spec.items(), key=lambda item: min(_natural(h) for h in item[1]))


def slurm_node_lines(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    hardware_var: str = "slurm_node_hardware",
    gpu_type: str = "gpu",
) -> list[str]:
    """slurm.conf NodeName lines, one per distinct hardware."""
    lines = []
    for spec, names in _group_by_spec(hosts, hostvars, hardware_var, gpu_type):
        sockets, cores, threads, memory, gpus, gtype, _files, features, weight = spec
        words = [
            f"NodeName={slurm_hostlist(names)}",
            f"CPUs={sockets * cores * threads}",
            f"Boards=1 SocketsPerBoard={sockets}",
            f"CoresPerSocket={cores}",
            f"ThreadsPerCore={threads}",
            f"RealMemory={memory}",
        ]
        if gpus:
            words.append(f"Gres=gpu:{gtype}:{gpus}")
        if features:
            words.append(f"Features={','.join(features)}")
        if weight is not None:
            words.append(f"Weight={weight}")
        words.append("State=UNKNOWN")
        lines.append(" ".join(words))
    return lines


def slurm_gres_lines(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    hardware_var: str = "slurm_node_hardware",
    gpu_type: str = "gpu",
) -> list[str]:
    """gres.conf lines with explicit File= for every GPU node (no AutoDetect)."""
    lines = []
    for spec, names in _group_by_spec(hosts, hostvars, hardware_var, gpu_type):
        gpus, gtype, files = spec[4], spec[5], spec[6]
        if not gpus:
            continue
        nodes = slurm_hostlist(names)
        lines.extend(f"NodeName={nodes} Name=gpu Type={gtype} File={f}" for f in files)
    return lines


def slurm_time_minutes(value: str) -> int | None:
    """A Slurm time (1-00:00:00, 01:00:00, 90) in minutes; None when unlimited ("")."""
    try:
        return wall_minutes(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"slurm_time_minutes: {exc}") from None


# Flags sinfo appends to a state (%T) that leave the node in service: "-"
# planned by the backfill scheduler for a waiting job, "$" in a maintenance
# reservation, "@" a reboot pending. The others ("*" not responding, and the
# power-saving ones) mean it takes no jobs now, so they stay.
_IN_SERVICE_FLAGS = re.compile(r"[-$@]+$")


def slurm_state(text: str) -> str:
    """A node's state as sinfo's %T prints it, without the flags that leave
    it in service: "mixed-" (a waiting job is planned on it) is "mixed"."""
    return _IN_SERVICE_FLAGS.sub("", str(text).strip())


def slurm_templates(templates: Sequence[Mapping], registry: str, gpu_type: str = "") -> list:
    """The inventory's container templates (slurm_templates) as job_submit.lua
    and stemplates use them: each with its full image reference (``ref``)
    and its defaults in Slurm's units (``cpus``, ``mem_mb``, ``gres``,
    ``minutes``), None where the template sets none. The preflight has
    checked them; what it would refuse raises here too."""
    resolved = []
    for template in templates:
        name = str(template["name"])
        where = image_reference(str(template["image"]), registry)
        if where is None:
            raise AnsibleFilterError(
                f"slurm_templates: {name}'s image {template['image']!r} is not in {registry}"
            )
        repository, version = where
        separator = "" if version.startswith("@") else ":"
        gpus = gpu_request(template.get("gpus", 0), gpu_type)
        mem = memory_mb(template["mem"]) if "mem" in template else None
        if gpus is None or (mem is None and "mem" in template):
            raise AnsibleFilterError(f"slurm_templates: {name}'s gpus or mem cannot be read")
        resolved.append(
            {
                "name": name,
                "image": str(template["image"]),
                "ref": f"{registry}/{repository}{separator}{version}",
                "cpus": template.get("cpus"),
                "mem_mb": mem,
                "gpus": ":".join(filter(None, (gpus[0], str(gpus[1])))) if gpus[1] else None,
                "gres": ":".join(filter(None, ("gres/gpu", gpus[0], str(gpus[1]))))
                if gpus[1]
                else None,
                "time": template.get("time"),
                "minutes": wall_minutes(template["time"]) if "time" in template else None,
                "comment": str(template.get("comment", "")),
            }
        )
    return resolved


class FilterModule:
    def filters(self):
        return {
            "slurm_hostlist": slurm_hostlist,
            "slurm_hostlist_expand": slurm_hostlist_expand,
            "slurm_node_lines": slurm_node_lines,
            "slurm_gres_lines": slurm_gres_lines,
            "slurm_time_minutes": slurm_time_minutes,
            "slurm_state": slurm_state,
            "slurm_templates": slurm_templates,
        }
