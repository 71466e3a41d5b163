#!/usr/bin/env python3
"""Benchmark: a role's package task on a re-run, ie.cluster.packages against apt.

Every role installs its packages with ``ie.cluster.packages``, which asks
dpkg first and starts ``ansible.builtin.apt`` only when something is
missing. On a re-run nothing is: this times that case, the one every re-run
pays once per role and host. In one ``ansible-playbook`` run on every host
of the lab (``make lab`` first), the same task, the base role's packages
(installed on every host), alternates between the two modules ROUNDS times;
the json callback gives each task's wall time over all hosts at once. It
prints the median of each, the seconds saved and the ratio. Beside them, a
task that does nothing on the hosts (``command: true``) in the same run:
the least any task of a re-run costs, whatever its module does.

    .venv/bin/python benchmarks/package_check.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["chrony", "sudo", "openssh-server", "python3-apt", "bash-completion"]
MODULES = {"apt": "ansible.builtin.apt", "packages": "ie.cluster.packages"}
# A module run per host that does nothing: the floor of every remote task.
FLOOR = {"ansible.builtin.command": {"argv": ["true"]}, "changed_when": False}


def playbook(rounds: int) -> list[dict]:
    """One play on every host: apt, ie.cluster.packages, then the floor
    task, ROUNDS times."""
    tasks = []
    for i in range(rounds):
        for label, module in MODULES.items():
            args = {"name": PACKAGES}
            if label == "apt":
                args["state"] = "present"
            tasks.append({"name": f"{label} {i}", module: args})
        tasks.append({"name": f"floor {i}", **FLOOR})
    return [
        {
            "name": "Packages on a re-run",
            "hosts": "all",
            "become": True,
            "gather_facts": False,
            "tasks": tasks,
        }
    ]


def seconds(duration: dict) -> float:
    start, end = (
        datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end")
    )
    return (end - start).total_seconds()


def task_times(report: dict) -> dict[str, list[float]]:
    """Each module's task wall times from the json callback's report; fails
    on a task that changed or failed anywhere (nothing may be missing)."""
    times: dict[str, list[float]] = {label: [] for label in [*MODULES, "floor"]}
    for play in report["plays"]:
        for task in play["tasks"]:
            label = task["task"]["name"].split()[0]
            for host, result in task["hosts"].items():
                if result.get("failed") or result.get("changed"):
                    raise SystemExit(
                        f"{task['task']['name']} on {host}: {result.get('msg', 'changed')}"
                    )
            times[label].append(seconds(task["task"]["duration"]))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_CONNECTION_PLUGINS=str(ROOT / "tools/harness/connection_plugins"),
        ANSIBLE_CACHE_PLUGIN_CONNECTION=str(ROOT / ".cache/facts/lab"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        # only the json report on stdout (ansible.cfg adds profile_tasks)
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=ROOT) as book:
        json.dump(playbook(args.rounds), book)
        book.flush()
        done = subprocess.run(  # noqa: S603 - the project's ansible-playbook on its own lab
            [
                shutil.which("ansible-playbook", path=str(ROOT / ".venv/bin"))
                or "ansible-playbook",
                "-i",
                "inventories/production",
                "-i",
                "inventories/lab",
                "--vault-password-file",
                "inventories/lab-vault-password.LAB-ONLY-NOT-SECRET",
                book.name,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        return 1
    report = json.loads(done.stdout)
    times = task_times(report)
    hosts = len(report["stats"])
    apt, packages, floor = (statistics.median(times[label]) for label in [*MODULES, "floor"])
    print(f"hosts: {hosts}, rounds: {args.rounds}, packages: {' '.join(PACKAGES)} (all installed)")
    print(f"ansible.builtin.apt    median {apt:.2f} s a task")
    print(f"ie.cluster.packages    median {packages:.2f} s a task")
    print(f"saved {apt - packages:.2f} s a task; ratio {packages / apt:.2f} of apt")
    print(f"a task that does nothing (command: true) median {floor:.2f} s: the floor of any task")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
