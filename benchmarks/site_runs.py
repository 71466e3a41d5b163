#!/usr/bin/env python3
"""Benchmark: site.yml's re-run and a server's replacement against the cold run.

On this machine, in one run, through the Makefile's lab commands:

1. ``make lab-destroy``, then ``make lab``: the cold ``site.yml`` on bare
   containers (the baseline);
2. ``make lab`` again: the re-run with nothing to change (it must change 0
   tasks);
3. ``make lab-replace HOST=gs02``: gs02 (a monitor, MDS, CephFS client,
   compute node, Podman and KVM host) made again bare, ``site.yml --limit
   gs02``, and the other hosts checked unchanged.

It prints each ``site.yml``'s seconds (the phase times lab.sh reports), the
changed tasks, and the ratio of each to the cold run beside issue 24's
targets (re-run 0.20, replacement 0.25). It leaves the lab up. It takes
about half an hour on 2 cores.

    .venv/bin/python benchmarks/site_runs.py [--host gs02]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASE = re.compile(r"^\s+(site\.yml(?: --limit \S+)?)\s+(\d+)s$", re.MULTILINE)
CHANGED = re.compile(r"^site\.yml changed tasks: (\d+)", re.MULTILINE)
TARGETS = {"re-run": 0.20, "replacement": 0.25}


def site_seconds(output: str) -> tuple[int, int]:
    """site.yml's seconds and changed tasks from one lab.sh report."""
    phase = PHASE.findall(output)
    changed = CHANGED.findall(output)
    if len(phase) != 1 or len(changed) != 1:
        raise ValueError("no single site.yml phase and changed count in lab.sh's report")
    return int(phase[0][1]), int(changed[0])


def make(*target: str) -> str:
    """Run one make target from the repository; its output is shown as it
    comes and returned."""
    lines = []
    argv = [shutil.which("make") or "make", *target]
    with subprocess.Popen(  # noqa: S603
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
    if proc.returncode != 0:
        raise SystemExit(f"make {' '.join(target)} failed ({proc.returncode})")
    return "".join(lines)


def measure(host: str, run: Callable[..., str] = make) -> list[tuple[str, int, int]]:
    run("lab-destroy")
    rows = [("cold", *site_seconds(run("lab")))]
    rows.append(("re-run", *site_seconds(run("lab"))))
    rows.append(("replacement", *site_seconds(run("lab-replace", f"HOST={host}"))))
    return rows


def table(rows: list[tuple[str, int, int]]) -> str:
    cold = rows[0][1]
    out = [
        "| run | site.yml s | changed | ratio to cold | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, seconds, changed in rows:
        target = TARGETS.get(name)
        ratio = "1.00" if target is None else f"{seconds / cold:.2f}"
        verdict = (
            "baseline"
            if target is None
            else (f"<= {target:.2f} {'met' if seconds / cold <= target else 'not met'}")
        )
        out.append(f"| {name} | {seconds} | {changed} | {ratio} | {verdict} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="gs02", help="the lab server to replace (default gs02)")
    args = parser.parse_args(argv)
    rows = measure(args.host)
    print(table(rows))
    return 0 if rows[1][2] == 0 else 1  # a re-run that changes something is a failure


if __name__ == "__main__":
    sys.exit(main())
