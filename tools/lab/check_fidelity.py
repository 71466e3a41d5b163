#!/usr/bin/env python3
"""Check mode fidelity on the lab: does `site.yml --check --diff` report the
changed tasks that the real run then makes?

Runs ansible-playbook twice with the same arguments (tools/lab/lab.sh gives
the lab's inventory and vault, site.yml and any changed variables, for
example `-e base_sshd_max_auth_tries=5`; without one, DEFAULT_CHANGES): first
with --check --diff, then for real.
Both runs are read through Ansible's JSON callback; the script prints, per
host, each task that changed in one run and not in the other, and exits 1
if there is any. The real run leaves the
change in place: `make lab` puts the inventory's values back. A real run
that changes nothing fails too: the variable change then tested nothing.

    check_fidelity.py [--logs DIR] ansible-playbook-arguments...

The two runs' reports are kept in DIR (default .cache/lab): molecule/site
runs it in its side effect, with the scenario's own directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Change = tuple[str, str, str]  # host, task file:line, task name


def changed_tasks(report: dict) -> set[Change]:
    """Every (host, task) that the JSON callback's report marks changed."""
    found: set[Change] = set()
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            info = task.get("task", {})
            for host, result in task.get("hosts", {}).items():
                if result.get("changed") and not result.get("skipped"):
                    path = info.get("path", "")
                    short = path.removeprefix(str(ROOT) + "/")
                    found.add((host, short, info.get("name", "")))
    return found


def compare(check: set[Change], real: set[Change]) -> list[str]:
    """Lines naming each task that only one of the two runs changed."""
    lines = []
    for host, path, name in sorted(check - real):
        lines.append(f"{host}: check mode said changed, the real run did not: {name} ({path})")
    for host, path, name in sorted(real - check):
        lines.append(f"{host}: the real run changed, check mode did not say so: {name} ({path})")
    return lines


def run(args: list[str], log: Path) -> tuple[int, dict, float]:
    env = os.environ | {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_JSON_INDENT": "0",
    }
    start = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.call(  # noqa: S603 - ansible-playbook of the virtualenv on PATH
            ["ansible-playbook", *args],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=out,
        )
    seconds = time.monotonic() - start
    return rc, read_report(log.read_text()), seconds


def read_report(text: str) -> dict:
    """The JSON callback's report, among the lines other callbacks print
    (profile_tasks, enabled in ansible.cfg, writes before and after it)."""
    decoder = json.JSONDecoder()
    start = 0 if text.startswith("{") else text.find("\n{") + 1
    while start > 0 or text.startswith("{"):
        try:
            report, _ = decoder.raw_decode(text, start)
        except ValueError:
            report = None
        if isinstance(report, dict) and "plays" in report:
            return report
        start = text.find("\n{", start + 1) + 1
        if start == 0:
            break
    return {}


# Without an -e of the caller's: one variable each for base (every host), the
# Slurm controller (slurm.conf and its reconfigure handler) and ie-podman.
DEFAULT_CHANGES = [
    "-e",
    "base_sshd_max_auth_tries=5",
    "-e",
    "slurm_controller_priority_weight_age=2000",
    "-e",
    "ie_podman_reclaim_after=86400",
]


def split_args(argv: list[str]) -> tuple[Path, list[str]]:
    """The logs directory (--logs DIR, first) and ansible-playbook's
    arguments, with DEFAULT_CHANGES when they change no variable."""
    logs = ROOT / ".cache" / "lab"
    if argv[:1] == ["--logs"]:
        if len(argv) < 2:
            raise SystemExit("--logs needs a directory")
        logs, argv = Path(argv[1]), argv[2:]
    if not any(arg in ("-e", "--extra-vars") or arg.startswith("-e") for arg in argv):
        argv = [*argv, *DEFAULT_CHANGES]
    return logs, argv


def main(argv: list[str]) -> int:
    logs, argv = split_args(argv)
    logs.mkdir(parents=True, exist_ok=True)
    rc, check_report, check_s = run([*argv, "--check", "--diff"], logs / "fidelity-check.json")
    if rc != 0 or not check_report:
        print(f"the check-mode run failed (exit {rc}); see {logs / 'fidelity-check.json'}")
        return 1
    rc, real_report, real_s = run(argv, logs / "fidelity-real.json")
    if rc != 0 or not real_report:
        print(f"the real run failed (exit {rc}); see {logs / 'fidelity-real.json'}")
        return 1
    check, real = changed_tasks(check_report), changed_tasks(real_report)
    print(f"check mode: {len(check)} changed tasks in {check_s:.0f} s")
    print(f"real run:   {len(real)} changed tasks in {real_s:.0f} s")
    for host, path, name in sorted(real & check):
        print(f"  both: {host}: {name} ({path})")
    differences = compare(check, real)
    for line in differences:
        print(f"  DIFFERENT {line}")
    if not real:
        print("the real run changed nothing: the variable change tested nothing")
        return 1
    print("the same changed tasks" if not differences else f"{len(differences)} differences")
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
