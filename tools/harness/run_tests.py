#!/usr/bin/env python3
"""Run every test of the project and end with a table: step, result, seconds.

Steps, in order: ruff, yamllint, ansible-lint (production profile), pytest,
ansible-test sanity, the playbook syntax and inventory checks, then every
Molecule scenario (roles/*/molecule/* and molecule/*). Each step's output
streams to the terminal as it runs. Exit status 1 if any step failed.

    run_tests.py [--only lint|unit|sanity|molecule] [--role R] [--scenario S]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections" / "ansible_collections" / "ie" / "cluster"


@dataclass
class Step:
    group: str
    name: str
    argv: list[str]
    cwd: Path = ROOT


def lint_steps() -> list[Step]:
    return [
        Step("lint", "ruff", ["ruff", "check", "."]),
        Step("lint", "ruff format", ["ruff", "format", "--check", "--diff", "."]),
        Step("lint", "yamllint", ["yamllint", "--strict", "."]),
        Step("lint", "ansible-lint", ["ansible-lint", "--profile", "production", "--strict"]),
    ]


def unit_steps() -> list[Step]:
    return [Step("unit", "pytest", [sys.executable, "-m", "pytest", "-q"])]


def sanity_steps() -> list[Step]:
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [
        Step(
            "sanity",
            "ansible-test sanity",
            ["ansible-test", "sanity", "--venv", "--python", py, "--color", "no"],
            COLLECTION,
        ),
        Step(
            "sanity",
            "site.yml syntax (production)",
            ["ansible-playbook", "-i", "inventories/production", "--syntax-check", "site.yml"],
        ),
        Step(
            "sanity",
            "site.yml syntax (lab)",
            ["ansible-playbook", "-i", "inventories/lab", "--syntax-check", "site.yml"],
        ),
    ]


def scenarios(role: str = "", scenario: str = "") -> list[Step]:
    """Every Molecule scenario once. A role's molecule/<name> may be a symlink
    to a multi-role scenario under molecule/; it runs once, from there."""
    found: dict[Path, Step] = {}
    for mol in sorted(ROOT.glob("roles/*/molecule/*/molecule.yml")) + sorted(
        ROOT.glob("molecule/*/molecule.yml")
    ):
        owner_dir = mol.parent.parent.parent  # the role, or the repository root
        owner = "cluster" if owner_dir == ROOT else owner_dir.name
        if role and owner != role:
            continue
        if scenario and mol.parent.name != scenario:
            continue
        real = mol.parent.resolve()
        project = real.parent.parent
        name = "cluster" if project == ROOT else project.name
        found[real] = Step(
            "molecule",
            f"molecule {name}/{real.name}",
            ["molecule", "test", "-s", real.name],
            project,
        )
    return sorted(found.values(), key=lambda s: (s.cwd != ROOT, str(s.cwd), s.name))


def run(step: Step) -> tuple[bool, float]:
    print(
        f"\n==> {step.name}: {' '.join(step.argv)}  (in {step.cwd.relative_to(ROOT) or '.'})",
        flush=True,
    )
    start = time.monotonic()
    try:
        rc = subprocess.call(step.argv, cwd=step.cwd, env=os.environ.copy())  # noqa: S603
    except FileNotFoundError as exc:
        print(f"{step.name}: {exc}", file=sys.stderr)
        rc = 127
    return rc == 0, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["lint", "unit", "sanity", "molecule"])
    parser.add_argument("--role", default="", help="one role's scenarios (cluster: molecule/)")
    parser.add_argument("--scenario", default="", help="only scenarios with this name")
    args = parser.parse_args()

    steps: list[Step] = []
    if args.only in (None, "lint"):
        steps += lint_steps()
    if args.only in (None, "unit"):
        steps += unit_steps()
    if args.only in (None, "sanity"):
        steps += sanity_steps()
    if args.only in (None, "molecule"):
        mol = scenarios(args.role, args.scenario)
        if args.only == "molecule" and not mol:
            print(
                f"no Molecule scenario matches role={args.role!r} scenario={args.scenario!r}",
                file=sys.stderr,
            )
            return 2
        steps += mol

    results = []
    total_start = time.monotonic()
    for step in steps:
        ok, seconds = run(step)
        results.append((step, ok, seconds))
    total = time.monotonic() - total_start

    width = max(len(s.name) for s, _, _ in results)
    print("\n" + "=" * (width + 22))
    print(f"{'step'.ljust(width)}  {'result':<8}  {'seconds':>8}")
    print("-" * (width + 22))
    for step, ok, seconds in results:
        print(f"{step.name.ljust(width)}  {'passed' if ok else 'FAILED':<8}  {seconds:8.1f}")
    print("-" * (width + 22))
    print(f"{'total'.ljust(width)}  {'':<8}  {total:8.1f}")
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"\nsteps: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
