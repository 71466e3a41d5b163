"""Container templates for batch jobs (issue 27): what a template is, and the
preflight's check of the inventory's list (slurm_templates).

A template is a name a student gives in a job script
(``#SBATCH --container=NAME``), an image in the department registry, and the
job's defaults: CPUs per task, memory per node, GPUs and time limit. The
preflight refuses, before any host changes, a list that would give a job
script a name it cannot use, an image from elsewhere, or defaults no node can
run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ie.cluster.plugins.module_utils.container_image import (
    TEMPLATE_NAME,
    parse_reference,
)
from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import wall_minutes

MEMORY = re.compile(r"(?P<n>[1-9][0-9]*)(?P<unit>[MGT]?)")
GPUS = re.compile(r"(?:(?P<type>[A-Za-z0-9_.-]+):)?(?P<count>[0-9]+)")
FIELDS = {"name", "image", "cpus", "mem", "gpus", "time", "comment"}


def image_reference(image: str, registry: str) -> tuple[str, str] | None:
    """``(repository, tag or @digest)`` of ``image`` in ``registry`` (a
    reference without a host is in it), or None if it is not a reference there.
    Docker's rule: a first component with a dot or a port, or localhost, is
    a host."""
    parsed = parse_reference(image)
    if parsed is None:
        return None
    host, path, tag, digest = parsed
    if host is not None and host != registry:
        return None
    if digest:
        return path, "@" + digest
    return path, tag or "latest"


def memory_mb(value: Any) -> int | None:
    """MB of a Slurm memory size (``16G``, ``512M``, ``2000``), or None."""
    match = MEMORY.fullmatch(str(value))
    if not match:
        return None
    return int(match["n"]) * {"": 1, "M": 1, "G": 1024, "T": 1024 * 1024}[match["unit"]]


def gpu_request(value: Any, default_type: str) -> tuple[str, int] | None:
    """``(type, count)`` of ``tesla:1``, ``1`` or ``0``, or None."""
    match = GPUS.fullmatch(str(value))
    if not match:
        return None
    return match["type"] or default_type, int(match["count"])


def _nodes(hosts: Mapping, compute: Sequence[str]) -> list[dict]:
    """Each compute node's CPUs, memory, GPU type and count, where known."""
    nodes = []
    for host in compute:
        hv = hosts.get(host, {})
        hw = hv.get("slurm_node_hardware")
        if not isinstance(hw, Mapping):
            continue
        try:
            cpus = hw["sockets"] * hw["cores_per_socket"] * hw["threads_per_core"]
            memory = int(hw["real_memory"])
        except (KeyError, TypeError, ValueError):
            continue  # check_slurm names what is wrong with it
        gpu_type = str(hw.get("gpu_type") or hv.get("slurm_gpu_type") or "")
        nodes.append(
            {"cpus": cpus, "memory": memory, "gpu_type": gpu_type, "gpus": hw.get("gpus", 0)}
        )
    return nodes


def template_problems(
    templates: Any, where: str, registry: str, nodes: list[dict], max_minutes: int | None
) -> list[str]:
    """What is wrong with the list ``templates`` (slurm_templates), each
    problem naming the variable, ``where`` and the fix."""
    var = f"slurm_templates ({where})"
    if not isinstance(templates, list):
        return [f"{var}: {templates!r} is not a list of templates."]
    problems: list[str] = []
    names = [t.get("name") for t in templates if isinstance(t, Mapping)]
    for name in sorted({str(n) for n in names if names.count(n) > 1}):
        problems.append(f"{var}: the template {name} is listed twice; names must be unique.")
    most_cpus = max((n["cpus"] for n in nodes), default=None)
    most_memory = max((n["memory"] for n in nodes), default=None)
    gpu_types: dict[str, int] = {}
    for node in nodes:
        if node["gpus"]:
            gpu_types[node["gpu_type"]] = max(gpu_types.get(node["gpu_type"], 0), node["gpus"])
    default_type = next((n["gpu_type"] for n in nodes if n["gpus"]), "")
    for i, template in enumerate(templates):
        if not isinstance(template, Mapping):
            problems.append(f"{var}: entry {i + 1} is not a mapping (name, image, ...).")
            continue
        name = str(template.get("name", ""))
        if not TEMPLATE_NAME.fullmatch(name):
            problems.append(
                f"{var}: entry {i + 1}'s name {name!r} cannot be a job option value and a "
                "directory: use lower-case letters, digits, _ and -, starting with a letter, "
                "32 at most."
            )
            continue
        label = f"{var}: {name}"
        unknown = sorted(set(template) - FIELDS)
        if unknown:
            problems.append(
                f"{label}: unknown key(s) {', '.join(unknown)}; a template has "
                f"{', '.join(sorted(FIELDS))}."
            )
        if image_reference(str(template.get("image", "")), registry) is None:
            problems.append(
                f"{label}: image {template.get('image')!r} is not an image of the department "
                f"registry ({registry}): give REPOSITORY[:TAG] there (e.g. templates/{name}:1), "
                "and push it there first."
            )
        # Each default is optional: where a template has none, Slurm's own
        # applies (one CPU, DefMemPerCPU, no GPU, the partition's DefaultTime).
        cpus = template.get("cpus", 1)
        if not isinstance(cpus, int) or isinstance(cpus, bool) or cpus < 1:
            problems.append(f"{label}: cpus {cpus!r} must be a whole number of at least 1.")
        elif most_cpus is not None and cpus > most_cpus:
            problems.append(
                f"{label}: cpus {cpus} is more than any node has ({most_cpus}); no job of it "
                "could run. Lower it."
            )
        mem = memory_mb(template["mem"]) if "mem" in template else 0
        if mem is None:
            problems.append(
                f"{label}: mem {template.get('mem')!r} is not a size Slurm reads (e.g. 4G, 512M)."
            )
        elif mem and most_memory is not None and mem > most_memory:
            problems.append(
                f"{label}: mem {template.get('mem')} is more than any node has "
                f"({most_memory} MB); no job of it could run. Lower it."
            )
        gpus = gpu_request(template.get("gpus", 0), default_type)
        if gpus is None:
            problems.append(
                f"{label}: gpus {template.get('gpus')!r} is not TYPE:COUNT or COUNT (e.g. tesla:1)."
            )
        elif gpus[1] and gpus[0] not in gpu_types:
            problems.append(
                f"{label}: no node has GPUs of type {gpus[0]!r} "
                f"(the nodes have: {', '.join(sorted(gpu_types)) or 'none'})."
            )
        elif gpus[1] > gpu_types.get(gpus[0], 0):
            problems.append(
                f"{label}: gpus {gpus[1]} is more than any node has of {gpus[0]} "
                f"({gpu_types.get(gpus[0], 0)})."
            )
        try:
            minutes = wall_minutes(template.get("time", "1"))
        except ValueError:
            problems.append(
                f"{label}: time {template.get('time')!r} is not a Slurm time (D-HH:MM:SS)."
            )
        else:
            if minutes is None:
                problems.append(f"{label}: time must be a limit, not unlimited.")
            elif max_minutes is not None and minutes > max_minutes:
                problems.append(
                    f"{label}: time {template.get('time')} is longer than "
                    "slurm_controller_max_time, which no job may pass."
                )
        if "\n" in str(template.get("comment", "")):
            problems.append(f"{label}: comment must be one line.")
    return problems


def check_templates(hosts: Mapping, groups: Mapping) -> list[str]:
    """slurm_templates as the controller renders it (job_submit.lua)."""
    problems = []
    compute = list(groups.get("slurm_compute") or [])
    for host in groups.get("slurm_controller") or []:
        hv = hosts.get(host, {})
        if "slurm_templates" not in hv:
            continue
        registry = str(hv.get("ie_podman_registry") or "")
        try:
            longest = wall_minutes(hv.get("slurm_controller_max_time", "7-00:00:00"))
        except ValueError:
            longest = None  # check_slurm names it
        problems += template_problems(
            hv["slurm_templates"], f"host {host}", registry, _nodes(hosts, compute), longest
        )
    return problems
