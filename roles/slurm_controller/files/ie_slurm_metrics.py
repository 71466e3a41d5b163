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
- ``ie_slurm_metrics_read{part}``: 1 when that part was read, 0 when its
  command failed (the others are still written).

Nothing here is one student's: the node exporter that serves the file is
reachable from the login hosts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# NOT_RESPONDING: its slurmd has missed the controller's ping (sinfo's "*"),
# before SlurmdTimeout sets it DOWN.
UNAVAILABLE = {"DOWN", "DRAIN", "DRAINING", "DRAINED", "FAIL", "FAILING", "NOT_RESPONDING"}


def run(argv: list[str]) -> dict:
    done = subprocess.run(  # noqa: S603 - fixed argv
        argv, capture_output=True, text=True, env=ENV, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"{argv[0]} exited {done.returncode}")
    return json.loads(done.stdout)


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


def collect(read: Callable[[list[str]], dict], slurm_user: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    parts = Gauge("ie_slurm_metrics_read", "1 when the part was read", ["part"], registry=registry)

    def part(name: str, argv: list[str]) -> dict | None:
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
    args = parser.parse_args(argv)
    write_to_textfile(args.output, collect(run, args.slurm_user))
    return 0


if __name__ == "__main__":
    sys.exit(main())
