#!/usr/bin/python3
"""ie-slurm-metrics: Slurm's state as Prometheus metrics, for node-exporter's
textfile collector.

Debian 13's Slurm (24.11) has no metrics endpoint of its own, so a timer on
the controller runs this every minute. It reads ``scontrol show nodes
--json``, ``squeue --json`` and ``sdiag --json`` and writes one file
(replaced at once) that the node exporter serves:

- ``ie_slurm_nodes{state}``: nodes by their base state (idle, mixed, ...);
- ``ie_slurm_node_unavailable{node,state,reason,by_admin}``: each node that
  is down, drained, draining or not responding; ``by_admin`` is 1 when an admin gave the
  reason, 0 when Slurm did (for example "Not responding") or none was given;
- ``ie_slurm_jobs{state,partition,qos}`` and
  ``ie_slurm_jobs_pending{partition,reason}``;
- ``ie_slurm_schedule_cycle_seconds{stat}``: the main scheduler's last,
  mean and longest cycle (sdiag);
- per student: ``ie_student_jobs{user,state}`` (running and pending), the
  CPUs and GPUs their running jobs hold (``ie_student_job_cpus{user}``,
  ``ie_student_job_gpus{user}``), and the CPU and GPU time of their jobs in
  the last ``--usage-days`` days from Slurm's accounting
  (``ie_student_cpu_seconds{user,window}``,
  ``ie_student_gpu_seconds{user,window}``: allocated CPUs or GPUs times the
  time each job ran in that window, ``sacct --truncate``);
- ``ie_slurm_metrics_read{part}``: 1 when that part was read, 0 when its
  command failed (the others are still written).

The per-student metrics are no other student's business: the textfile
folder is readable by the exporter's user only, and the exporter asks for
Prometheus's password (the node_exporter role).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# NOT_RESPONDING: its slurmd has missed the controller's ping (sinfo's "*"),
# before SlurmdTimeout sets it DOWN.
UNAVAILABLE = {"DOWN", "DRAIN", "DRAINING", "DRAINED", "FAIL", "FAILING", "NOT_RESPONDING"}


# A job's allocated TRES ("cpu=2,mem=2G,node=1,gres/gpu=1,gres/gpu:tesla=1"):
# the untyped gres/gpu is the total; typed counts only where it is missing.
TRES_CPU = re.compile(r"(?:^|,)cpu=(\d+)")
TRES_GPU = re.compile(r"(?:^|,)gres/gpu=(\d+)")
TRES_TYPED_GPU = re.compile(r"(?:^|,)gres/gpu:[^=,]+=(\d+)")


def run(argv: list[str]) -> dict | str:
    """The command's JSON (``--json``), or its text."""
    done = subprocess.run(  # noqa: S603 - fixed argv
        argv, capture_output=True, text=True, env=ENV, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"{argv[0]} exited {done.returncode}")
    return json.loads(done.stdout) if "--json" in argv else done.stdout


def tres(text: str) -> tuple[int, int]:
    """(CPUs, GPUs) of a TRES string."""
    cpus = sum(int(n) for n in TRES_CPU.findall(text))
    gpus = TRES_GPU.findall(text)
    return cpus, int(gpus[0]) if gpus else sum(int(n) for n in TRES_TYPED_GPU.findall(text))


def _states(value) -> list[str]:
    return [str(s).upper() for s in (value if isinstance(value, list) else [value]) if s]


def nodes(data: dict, slurm_user: str) -> tuple[Counter, list[dict]]:
    """(nodes by base state, the unavailable nodes)."""
    by_state: Counter = Counter()
    unavailable = []
    for node in data.get("nodes", []):
        states = _states(node.get("state"))
        by_state[(states[0] if states else "UNKNOWN").lower()] += 1
        bad = sorted(UNAVAILABLE.intersection(states))
        if bad:
            reason = str(node.get("reason") or "")
            who = str(node.get("reason_set_by_user") or "")
            unavailable.append(
                {
                    "node": str(node.get("name", "")),
                    "state": ",".join(s.lower() for s in bad),
                    "reason": reason,
                    "by_admin": "1" if reason and who and who != slurm_user else "0",
                }
            )
    return by_state, unavailable


def jobs(data: dict) -> tuple[Counter, Counter]:
    """(jobs by state, partition and QOS; pending jobs by partition and reason)."""
    counts: Counter = Counter()
    pending: Counter = Counter()
    for job in data.get("jobs", []):
        states = _states(job.get("job_state"))
        state = (states[0] if states else "UNKNOWN").lower()
        partition, qos = str(job.get("partition", "")), str(job.get("qos", ""))
        counts[(state, partition, qos)] += 1
        if state == "pending":
            pending[(partition, str(job.get("state_reason", "")))] += 1
    return counts, pending


def student_jobs(data: dict) -> dict[str, Counter]:
    """{user: Counter(running=, pending=, cpus=, gpus=)}: the CPUs and GPUs
    that the student's running jobs hold."""
    usage: dict[str, Counter] = {}
    for job in data.get("jobs", []):
        states = _states(job.get("job_state"))
        user = str(job.get("user_name") or "")
        if not user or not states or states[0] not in ("RUNNING", "PENDING"):
            continue
        row = usage.setdefault(user, Counter(running=0, pending=0, cpus=0, gpus=0))
        row[states[0].lower()] += 1
        if states[0] == "RUNNING":
            cpus, gpus = tres(str(job.get("tres_alloc_str") or ""))
            row["cpus"] += cpus
            row["gpus"] += gpus
    return usage


def accounting(text: str) -> dict[str, list[int]]:
    """{user: [CPU seconds, GPU seconds]} from sacct's User|ElapsedRaw|AllocTRES."""
    usage: dict[str, list[int]] = {}
    for line in text.splitlines():
        user, _, rest = line.partition("|")
        elapsed, _, alloc = rest.partition("|")
        if not user or not elapsed.isdigit():
            continue
        cpus, gpus = tres(alloc)
        row = usage.setdefault(user, [0, 0])
        row[0] += cpus * int(elapsed)
        row[1] += gpus * int(elapsed)
    return usage


def schedule(data: dict) -> dict[str, float]:
    """sdiag's main scheduler cycle (microseconds in Slurm) in seconds."""
    stats = data.get("statistics", data)
    return {
        stat: float(stats[key]) / 1e6
        for stat, key in (
            ("last", "schedule_cycle_last"),
            ("mean", "schedule_cycle_mean"),
            ("max", "schedule_cycle_max"),
        )
        if isinstance(stats.get(key), int | float)
    }


def per_student(job_data: dict, registry: CollectorRegistry) -> None:
    jobs_g = Gauge("ie_student_jobs", "The student's jobs by state", ["user", "state"],
                   registry=registry)  # fmt: skip
    cpus_g = Gauge("ie_student_job_cpus", "CPUs the student's running jobs hold", ["user"],
                   registry=registry)  # fmt: skip
    gpus_g = Gauge("ie_student_job_gpus", "GPUs the student's running jobs hold", ["user"],
                   registry=registry)  # fmt: skip
    for user, row in sorted(student_jobs(job_data).items()):
        jobs_g.labels(user, "running").set(row["running"])
        jobs_g.labels(user, "pending").set(row["pending"])
        cpus_g.labels(user).set(row["cpus"])
        gpus_g.labels(user).set(row["gpus"])


def collect(
    read: Callable[[list[str]], dict | str], slurm_user: str, usage_days: int = 7
) -> CollectorRegistry:
    registry = CollectorRegistry()
    parts = Gauge("ie_slurm_metrics_read", "1 when the part was read", ["part"], registry=registry)

    def part(name: str, argv: list[str]) -> dict | str | None:
        try:
            data = read(argv)
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            print(f"ie-slurm-metrics: {name}: {exc}", file=sys.stderr)
            parts.labels(name).set(0)
            return None
        parts.labels(name).set(1)
        return data

    node_data = part("nodes", ["scontrol", "show", "nodes", "--json"])
    if node_data is not None:
        by_state, unavailable = nodes(node_data, slurm_user)
        g = Gauge("ie_slurm_nodes", "Slurm nodes by base state", ["state"], registry=registry)
        for state, n in sorted(by_state.items()):
            g.labels(state).set(n)
        u = Gauge(
            "ie_slurm_node_unavailable",
            "A node that is down, drained or draining (by_admin: an admin gave the reason)",
            ["node", "state", "reason", "by_admin"],
            registry=registry,
        )
        for row in unavailable:
            u.labels(row["node"], row["state"], row["reason"], row["by_admin"]).set(1)
    job_data = part("jobs", ["squeue", "--all", "--json"])
    if job_data is not None:
        counts, pending = jobs(job_data)
        g = Gauge(
            "ie_slurm_jobs", "Jobs by state, partition and QOS", ["state", "partition", "qos"],
            registry=registry,
        )  # fmt: skip
        for (state, partition, qos), n in sorted(counts.items()):
            g.labels(state, partition, qos).set(n)
        p = Gauge(
            "ie_slurm_jobs_pending", "Pending jobs by partition and reason",
            ["partition", "reason"], registry=registry,
        )  # fmt: skip
        for (partition, reason), n in sorted(pending.items()):
            p.labels(partition, reason).set(n)
        per_student(job_data, registry)
    sacct = part("accounting", [
        "sacct", "--allusers", "--allocations", "--noheader", "--parsable2", "--truncate",
        "--starttime", f"now-{usage_days}days", "--endtime", "now",
        "--format", "User,ElapsedRaw,AllocTRES",
    ])  # fmt: skip
    if sacct is not None:
        labels = ["user", "window"]
        cpu = Gauge("ie_student_cpu_seconds", "CPU time of the student's jobs in the window",
                    labels, registry=registry)  # fmt: skip
        gpu = Gauge("ie_student_gpu_seconds", "GPU time of the student's jobs in the window",
                    labels, registry=registry)  # fmt: skip
        for user, (cpu_s, gpu_s) in sorted(accounting(str(sacct)).items()):
            cpu.labels(user, f"{usage_days}d").set(cpu_s)
            gpu.labels(user, f"{usage_days}d").set(gpu_s)
    diag = part("scheduler", ["sdiag", "--json"])
    if diag is not None:
        s = Gauge(
            "ie_slurm_schedule_cycle_seconds", "The main scheduler's cycle", ["stat"],
            registry=registry,
        )  # fmt: skip
        for stat, seconds in schedule(diag).items():
            s.labels(stat).set(seconds)
    return registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ie-slurm-metrics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="the .prom file (replaced at once)")
    parser.add_argument("--slurm-user", default="slurm", help="SlurmUser (default: %(default)s)")
    parser.add_argument(
        "--usage-days", type=int, default=7,
        help="the window of the students' CPU and GPU time (default: %(default)s days)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    write_to_textfile(args.output, collect(run, args.slurm_user, args.usage_days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
