#!/usr/bin/env python3
"""Benchmark: a role's package and file tasks on a re-run, ie.cluster's
actions against the builtin modules.

Every role installs its packages with ``ie.cluster.packages``, which asks
dpkg first and starts ``ansible.builtin.apt`` only when something is
missing, writes its files with ``ie.cluster.copy`` and
``ie.cluster.template``, which read a file already right with one shell
command instead of the ``stat`` and ``file`` modules, and keeps its
directories, services and lines with ``ie.cluster.file``,
``ie.cluster.service`` and ``ie.cluster.lineinfile``, which ask one shell
command before the builtin module. On a re-run nothing
is to do: this times that case, the one every re-run pays once per task and
host. In one ``ansible-playbook`` run on every host of the lab (``make lab``
first), the same task, the base role's packages (installed on every host),
alternates between apt and ie.cluster.packages ROUNDS times, the same
file (written once before) between the builtin copy and template and
ie.cluster's, the same directory between the builtin file and
ie.cluster.file, and the SSH daemon's unit (running and enabled on every
host) between ansible.builtin.systemd_service and ie.cluster.service, and
the copied file's one line between ansible.builtin.lineinfile and
ie.cluster.lineinfile; the
json callback gives each task's wall time over all hosts at once. It
prints the median of each, the seconds saved and the ratio.
Beside them, a task that does nothing on the hosts (``command: true``) in
the same run: the least any task of a re-run costs, whatever its module
does.

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
FILE_ATTRIBUTES = {"owner": "root", "group": "root", "mode": "0644"}
# The same work through the builtin module and ie.cluster's, each pair: the
# builtin's name (ie.cluster's is the same name in ie.cluster) and the arguments.
FILES = {
    "copy": (
        "copy",
        {"content": "ie-cluster benchmark\n", "dest": "/root/ie-bench-copy", **FILE_ATTRIBUTES},
    ),
    "template": (
        "template",
        {"src": "ie-bench.j2", "dest": "/root/ie-bench-template", **FILE_ATTRIBUTES},
    ),
    "file": (
        "file",
        {"path": "/root/ie-bench-dir", "state": "directory", **FILE_ATTRIBUTES, "mode": "0755"},
    ),
    "service": ("systemd_service", {"name": "ssh", "state": "started", "enabled": True}),
    # the copy's file, whose one line is already this
    "lineinfile": (
        "lineinfile",
        {"path": "/root/ie-bench-copy", "regexp": "^ie-cluster ", "line": "ie-cluster benchmark"},
    ),
}
# Written once before the rounds, removed after them.
MADE = ("copy", "template", "file")
TEMPLATE = "{{ inventory_hostname }} ie-cluster benchmark\n"
# A module run per host that does nothing: the floor of every remote task.
FLOOR = {"ansible.builtin.command": {"argv": ["true"]}, "changed_when": False}
LABELS = [*MODULES, *(f"{kind}-{side}" for kind in FILES for side in ("builtin", "ie")), "floor"]


def file_task(label: str, kind: str, side: str) -> dict:
    builtin, args = FILES[kind]
    module = f"ansible.builtin.{builtin}" if side == "builtin" else f"ie.cluster.{kind}"
    return {"name": label, module: dict(args)}


def playbook(rounds: int) -> list[dict]:
    """One play on every host: the files written (setup), then apt,
    ie.cluster.packages, each file through both actions, and the floor
    task, ROUNDS times; the files removed (cleanup)."""
    tasks = [file_task("setup", kind, "builtin") for kind in MADE]
    for i in range(rounds):
        for label, module in MODULES.items():
            args = {"name": PACKAGES}
            if label == "apt":
                args["state"] = "present"
            tasks.append({"name": f"{label} {i}", module: args})
        for kind in FILES:
            for side in ("builtin", "ie"):
                tasks.append(file_task(f"{kind}-{side} {i}", kind, side))
        tasks.append({"name": f"floor {i}", **FLOOR})
    tasks.append(
        {
            "name": "cleanup",
            "ansible.builtin.file": {"path": "{{ item }}", "state": "absent"},
            "loop": [FILES[kind][1].get("dest", FILES[kind][1].get("path")) for kind in MADE],
        }
    )
    return [
        {
            "name": "Packages, files and services on a re-run",
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
    times: dict[str, list[float]] = {label: [] for label in LABELS}
    for play in report["plays"]:
        for task in play["tasks"]:
            label = task["task"]["name"].split()[0]
            if label in ("setup", "cleanup"):
                continue
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
    with tempfile.TemporaryDirectory(dir=ROOT) as where:
        book = Path(where) / "package_check.yml"
        book.write_text(json.dumps(playbook(args.rounds)))
        (Path(where) / "templates").mkdir()
        (Path(where) / "templates" / FILES["template"][1]["src"]).write_text(TEMPLATE)
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
                str(book),
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
    median = {label: statistics.median(times[label]) for label in LABELS}
    apt, packages, floor = median["apt"], median["packages"], median["floor"]
    print(f"hosts: {hosts}, rounds: {args.rounds}, packages: {' '.join(PACKAGES)} (all installed)")
    print(f"ansible.builtin.apt    median {apt:.2f} s a task")
    print(f"ie.cluster.packages    median {packages:.2f} s a task")
    print(f"saved {apt - packages:.2f} s a task; ratio {packages / apt:.2f} of apt")
    for kind, (module, _) in FILES.items():
        builtin, ours = median[f"{kind}-builtin"], median[f"{kind}-ie"]
        print(
            f"{kind}, nothing to change: ansible.builtin.{module} median {builtin:.2f} s,"
            f" ie.cluster.{kind} {ours:.2f} s a task; ratio {ours / builtin:.2f}"
        )
    print(f"a task that does nothing (command: true) median {floor:.2f} s: the floor of any task")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
