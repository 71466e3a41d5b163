#!/usr/bin/python3
"""ie-usage-metrics: what each student uses on this host, as Prometheus
metrics for node-exporter's textfile collector.

A timer runs it every minute on the general servers (playbooks/monitoring.yml)
and it writes one file, replaced at once:

- ``ie_student_containers{user}``, ``ie_student_container_cpus{user}`` and
  ``ie_student_container_memory_bytes{user}``: the student's running
  containers (ie-podman's, found by its owner label) and the CPUs and memory
  they reserved (0 where a container set no limit);
- ``ie_student_vms{user}``, ``ie_student_vm_vcpus{user}`` and
  ``ie_student_vm_memory_bytes{user}``: the student's running VMs (ie-virsh's,
  found by the owner element of their metadata);
- ``ie_student_home_bytes{user}``: the size of each home on CephFS (the
  ``ceph.dir.rbytes`` of each folder of ``--homes``);
- the GPUs, where ``nvidia-smi`` is: ``ie_gpu_utilization_ratio``,
  ``ie_gpu_memory_used_bytes``, ``ie_gpu_memory_total_bytes``,
  ``ie_gpu_temperature_celsius`` and ``ie_gpu_power_watts`` (each
  ``{gpu,uuid,model}``; a value the GPU does not report is left out), and
  ``ie_student_gpu_processes{user}`` and ``ie_student_gpu_memory_bytes{user}``
  (the owner of each process using a GPU);
- ``ie_usage_metrics_read{part}``: 1 when that part was read, 0 when it
  failed (the others are still written).

A part whose tool this host lacks (no podman, no virsh, no nvidia-smi, no
CephFS) is left out, without an error. The file is one student's business: the textfile
folder is readable by the exporter's user only, and the exporter asks for
Prometheus's password.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# ie-podman's labels (src/ie_podman/backend.py, USER_LABEL) and ie-virsh's
# metadata namespace (src/ie_virsh/domxml.py, NS).
USER_LABEL = "ie.owner.user"
VIRSH_NS = "https://ie-cluster.example/xmlns/ie-virsh/1.0"
MEMORY_UNITS = {"b": 1, "bytes": 1, "kib": 2**10, "k": 2**10, "mib": 2**20, "m": 2**20,
                "gib": 2**30, "g": 2**30, "tib": 2**40, "t": 2**40}  # fmt: skip


def run(argv: list[str]) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv
        argv, capture_output=True, text=True, env=ENV, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"{argv[0]} exited {done.returncode}")
    return done.stdout


def containers(read: Callable[[list[str]], str]) -> dict[str, list[float]]:
    """{user: [containers, CPUs, memory bytes]} of the running containers."""
    listed = json.loads(
        read(["podman", "ps", "--filter", f"label={USER_LABEL}", "--format", "json"])
    )
    ids = [c["Id"] for c in listed or [] if c.get("Id")]
    usage: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    if not ids:
        return usage
    for c in json.loads(read(["podman", "container", "inspect", "--format", "json", *ids])):
        user = ((c.get("Config") or {}).get("Labels") or {}).get(USER_LABEL)
        if not user or not (c.get("State") or {}).get("Running"):
            continue
        host = c.get("HostConfig") or {}
        cpus = (host.get("NanoCpus") or 0) / 1e9
        if not cpus and host.get("CpuQuota") and host.get("CpuPeriod"):
            cpus = host["CpuQuota"] / host["CpuPeriod"]
        usage[user][0] += 1
        usage[user][1] += cpus
        usage[user][2] += host.get("Memory") or 0
    return usage


def _memory(element: ET.Element | None) -> int:
    if element is None or not (element.text or "").strip().isdigit():
        return 0
    return int(element.text.strip()) * MEMORY_UNITS.get(element.get("unit", "KiB").lower(), 1)


def vms(read: Callable[[list[str]], str]) -> dict[str, list[float]]:
    """{user: [VMs, vCPUs, memory bytes]} of the running ie-virsh VMs."""
    usage: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0])
    for name in read(["virsh", "-c", "qemu:///system", "list", "--name"]).split():
        try:
            xml = read(["virsh", "-c", "qemu:///system", "dumpxml", "--", name])
        except RuntimeError:
            continue  # stopped since it was listed
        root = ET.fromstring(xml)  # noqa: S314 - XML from libvirt
        owner = root.find(f"metadata/{{{VIRSH_NS}}}owner")
        if owner is None or not owner.get("user"):
            continue
        vcpu = (root.findtext("vcpu") or "0").strip()
        row = usage[owner.get("user")]
        row[0] += 1
        row[1] += int(vcpu) if vcpu.isdigit() else 0
        row[2] += _memory(root.find("currentMemory")) or _memory(root.find("memory"))
    return usage


GPU_FIELDS = ("index", "uuid", "name", "utilization.gpu", "memory.used", "memory.total",
              "temperature.gpu", "power.draw")  # fmt: skip
# field: (metric, help, factor from nvidia-smi's unit)
GPU_METRICS = {
    "utilization.gpu": ("ie_gpu_utilization_ratio", "The GPU's utilisation (0 to 1)", 0.01),
    "memory.used": ("ie_gpu_memory_used_bytes", "The GPU's memory in use", 2**20),
    "memory.total": ("ie_gpu_memory_total_bytes", "The GPU's memory", 2**20),
    "temperature.gpu": ("ie_gpu_temperature_celsius", "The GPU's temperature", 1),
    "power.draw": ("ie_gpu_power_watts", "The GPU's power draw", 1),
}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # [N/A], [Not Supported]


def gpus(read: Callable[[list[str]], str]) -> tuple[list[dict], dict[str, list[float]]]:
    """(each GPU's fields, {user: [processes, memory bytes]} of the processes
    using them), from nvidia-smi's CSV."""
    found = []
    text = read(["nvidia-smi", f"--query-gpu={','.join(GPU_FIELDS)}",
                 "--format=csv,noheader,nounits"])  # fmt: skip
    for line in text.splitlines():
        values = [v.strip() for v in line.split(",")]
        if len(values) == len(GPU_FIELDS):
            found.append(dict(zip(GPU_FIELDS, values, strict=True)))
    users: dict[str, list[float]] = defaultdict(lambda: [0, 0])
    apps = read(["nvidia-smi", "--query-compute-apps=pid,used_memory",
                 "--format=csv,noheader,nounits"])  # fmt: skip
    for line in apps.splitlines():
        pid, _, memory = (v.strip() for v in line.partition(","))
        if not pid.isdigit():
            continue
        try:
            user = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
        except (OSError, KeyError):
            continue  # ended since, or no name
        users[user][0] += 1
        users[user][1] += (_number(memory) or 0) * 2**20
    return found, users


def homes(top: Path) -> dict[str, int]:
    """{user: bytes} of each folder of ``top`` (CephFS's recursive size,
    kept by the MDS: nothing is walked)."""
    sizes = {}
    with os.scandir(top) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            try:
                sizes[entry.name] = int(os.getxattr(entry.path, "ceph.dir.rbytes"))
            except (OSError, ValueError):
                continue
    return sizes


# part: (reader, metric prefix, what it counts, the CPU metric's name)
KINDS = {
    "containers": (containers, "container", "containers", "cpus"),
    "vms": (vms, "vm", "VMs", "vcpus"),
}


def collect(
    read: Callable[[list[str]], str], parts: list[str], home_top: Path | None
) -> CollectorRegistry:
    registry = CollectorRegistry()
    done = Gauge("ie_usage_metrics_read", "1 when the part was read", ["part"], registry=registry)

    for part, (reader, prefix, what, cpu_name) in KINDS.items():
        if part not in parts:
            continue
        try:
            usage = reader(read)
        except (OSError, RuntimeError, ValueError, ET.ParseError, subprocess.TimeoutExpired) as exc:
            print(f"ie-usage-metrics: {part}: {exc}", file=sys.stderr)
            done.labels(part).set(0)
            continue
        done.labels(part).set(1)
        count, cpus, memory = (
            Gauge(f"ie_student_{prefix}s", f"The student's running {what}", ["user"],
                  registry=registry),
            Gauge(f"ie_student_{prefix}_{cpu_name}", f"CPUs the student's running {what} reserved",
                  ["user"], registry=registry),
            Gauge(f"ie_student_{prefix}_memory_bytes",
                  f"Memory the student's running {what} reserved", ["user"], registry=registry),
        )  # fmt: skip
        for user, (n, c, m) in sorted(usage.items()):
            count.labels(user).set(n)
            cpus.labels(user).set(c)
            memory.labels(user).set(m)
    if "gpus" in parts:
        gpu_part(read, registry, done)
    if home_top is not None:
        try:
            sizes = homes(home_top)
        except OSError as exc:
            print(f"ie-usage-metrics: homes: {exc}", file=sys.stderr)
            done.labels("homes").set(0)
        else:
            done.labels("homes").set(1)
            g = Gauge("ie_student_home_bytes", "The size of the student's home (CephFS)",
                      ["user"], registry=registry)  # fmt: skip
            for user, size in sorted(sizes.items()):
                g.labels(user).set(size)
    return registry


def gpu_part(read: Callable[[list[str]], str], registry: CollectorRegistry, done: Gauge) -> None:
    try:
        found, users = gpus(read)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"ie-usage-metrics: gpus: {exc}", file=sys.stderr)
        done.labels("gpus").set(0)
        return
    done.labels("gpus").set(1)
    for field, (name, text, factor) in GPU_METRICS.items():
        g = Gauge(name, text, ["gpu", "uuid", "model"], registry=registry)
        for gpu in found:
            number = _number(gpu[field])
            if number is not None:
                g.labels(gpu["index"], gpu["uuid"], gpu["name"]).set(number * factor)
    processes = Gauge("ie_student_gpu_processes", "The student's processes using a GPU",
                      ["user"], registry=registry)  # fmt: skip
    memory = Gauge("ie_student_gpu_memory_bytes", "GPU memory the student's processes use",
                   ["user"], registry=registry)  # fmt: skip
    for user, (n, m) in sorted(users.items()):
        processes.labels(user).set(n)
        memory.labels(user).set(m)


def available(home_top: Path | None) -> tuple[list[str], Path | None]:
    """The parts this host has: podman, virsh, and a CephFS ``home_top``."""
    tools = (("containers", "podman"), ("vms", "virsh"), ("gpus", "nvidia-smi"))
    parts = [part for part, tool in tools if shutil.which(tool, path=ENV["PATH"])]
    if home_top is not None:
        try:
            os.getxattr(home_top, "ceph.dir.rbytes")
        except OSError:
            home_top = None
    return parts, home_top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ie-usage-metrics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=Path, help="the CephFS folder of the homes (/home)")
    parser.add_argument("--output", required=True, help="the .prom file (replaced at once)")
    args = parser.parse_args(argv)
    parts, home_top = available(args.homes)
    write_to_textfile(args.output, collect(run, parts, home_top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
