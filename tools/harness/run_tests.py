#!/usr/bin/env python3
"""Run every test of the project and end with a table: step, result, seconds.

Steps, in order: ruff, yamllint, ansible-lint (production profile), pytest,
ansible-test sanity, the playbook syntax and inventory checks, production
renders (tools/render/check.sh), then every
Molecule scenario (roles/*/molecule/* and molecule/*). Exit status 1 if any
step failed.

The quick steps run one after another, their output streaming as they run;
in the whole suite they run beside the Molecule scenarios instead (logged and
printed whole like them), since they mostly keep one core busy where two
are. The Molecule scenarios run --jobs at a time (default: 2 where the machine has
two or more cores): each scenario has its own containers, network and subnet,
and most of a scenario's time is spent waiting (apt, daemons starting, Ceph
settling), so two at once on two cores take little more than the longer of
the two. Each scenario's output goes to .test-logs/<scenario>.log and is
printed whole when the scenario ends, so the log reads one scenario at a time.
The longest scenarios start first: by the durations of the last run on this
machine (.test-logs/durations.json), else those measured in CI
(tools/harness/durations.json), else by the number of containers.
Scenarios whose molecule.yml sets IE_TEST_IMAGE (the base image with the
roles' packages installed) wait for tools/harness/build-packages-image.sh,
which runs as the first job, beside the first scenario; it skips the work
when the image is up to date.

    run_tests.py [--only lint|unit|sanity|molecule] [--role R] [--scenario S] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections" / "ansible_collections" / "ie" / "cluster"
LOGS = ROOT / ".test-logs"
DURATIONS = LOGS / "durations.json"
CI_DURATIONS = Path(__file__).with_name("durations.json")


@dataclass
class Step:
    group: str
    name: str
    argv: list[str]
    cwd: Path = ROOT
    containers: int = 0
    image: str = ""  # the prebuilt image its containers start from, if any


def lint_steps() -> list[Step]:
    return [
        Step("lint", "ruff", ["ruff", "check", "."]),
        Step("lint", "ruff format", ["ruff", "format", "--check", "--diff", "."]),
        Step("lint", "yamllint", ["yamllint", "--strict", "."]),
        Step("lint", "ansible-lint", ["ansible-lint", "--profile", "production", "--strict"]),
        # The collection's changelog is kept with fragments (changelogs/fragments).
        Step("lint", "changelog fragments", ["antsibull-changelog", "lint"], COLLECTION),
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
            [
                "ansible-playbook",
                *("-i", "inventories/production", "-i", "inventories/lab"),
                "--syntax-check",
                "site.yml",
            ],
        ),
        # Every template with production's inventory, each file checked by its own
        # tool in a container of the test image (docs/testing.md, "Production renders").
        Step("sanity", "production renders", ["bash", "tools/render/check.sh"]),
    ]


BASE_IMAGE = "localhost/ie-debian:trixie"
PACKAGES_IMAGE = "localhost/ie-debian:trixie-packages"
TEST_IMAGE = re.compile(r"^ +IE_TEST_IMAGE: *(\S+)", re.MULTILINE)


def image_step() -> Step:
    return Step(
        "image",
        "image ie-debian:trixie-packages",
        ["bash", "tools/harness/build-packages-image.sh", BASE_IMAGE, PACKAGES_IMAGE],
    )


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
        text = mol.read_text()
        image = TEST_IMAGE.search(text)
        found[real] = Step(
            "molecule",
            f"molecule {name}/{real.name}",
            ["molecule", "test", "-s", real.name],
            project,
            text.count("\n  - name:"),
            image.group(1) if image else "",
        )
    return sorted(found.values(), key=lambda s: (s.cwd != ROOT, str(s.cwd), s.name))


def banner(step: Step) -> None:
    print(
        f"\n==> {step.name}: {' '.join(step.argv)}  (in {step.cwd.relative_to(ROOT) or '.'})",
        flush=True,
    )


def run(step: Step) -> tuple[bool, float]:
    banner(step)
    start = time.monotonic()
    try:
        rc = subprocess.call(step.argv, cwd=step.cwd, env=os.environ.copy())  # noqa: S603
    except FileNotFoundError as exc:
        print(f"{step.name}: {exc}", file=sys.stderr)
        rc = 127
    return rc == 0, time.monotonic() - start


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def log_name(step: Step) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", step.name.removeprefix("molecule ")) + ".log"


def longest_first(steps: list[Step], known: dict[str, float]) -> list[Step]:
    """Known durations first, longest first; then the rest by container count."""
    return sorted(
        steps,
        key=lambda s: (s.name not in known, -known.get(s.name, 0.0), -s.containers, s.name),
    )


def read_durations(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def load_durations() -> dict[str, float]:
    return read_durations(CI_DURATIONS) | read_durations(DURATIONS)


MOLECULE_PHASE = re.compile(r"^INFO +\[[^]]+\] (Executing|Executed)\b")


def stamp(line: str, elapsed: float) -> str:
    """A Molecule phase line with the seconds since the step started, so that
    a scenario's log tells how long each phase took; other lines as they are."""
    if MOLECULE_PHASE.match(line):
        return f"{line.rstrip(chr(10))}  [+{elapsed:.0f} s]\n"
    return line


def ignored(rows: list[str], i: int) -> bool:
    """Whether the failure at ``rows[i]`` was ignored: Ansible says
    "...ignoring" after the task's last failure (a loop's items each print
    their own), before the next task or play."""
    for row in rows[i + 1 :]:
        if row.startswith("...ignoring"):
            return True
        if row.startswith(("TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER [")):
            return False
    return False


def why_failed(text: str, width: int = 600) -> list[str]:
    """The lines of a failed step's log that say why, for the end of the
    suite's output (CI keeps only its head and tail): Ansible's first
    failure that was not ignored, with its task, Molecule's phase and the
    errors quoted deep in a long result, and pytest's one-line summaries;
    else the log's last lines."""
    rows = text.splitlines()
    first: list[str] = []
    summaries: list[str] = []
    phase = task = ""
    for i, row in enumerate(rows):
        if MOLECULE_PHASE.match(row):
            phase = row
        elif row.startswith("TASK ["):
            task = row.rstrip("* ")
        elif not first and row.startswith(("fatal: [", "failed: [")) and not ignored(rows, i):
            quoted = re.findall(
                r"FAILED \S+::[^\"\\\n]{1,240}|(?:Error|error:)[^\"\\\n]{3,240}", row[width:]
            )
            first = [phase, task, row[:width], *list(dict.fromkeys(quoted))[-3:]]
        elif re.match(r"^(FAILED|ERROR) \S+::", row):
            summaries.append(row[:width])
    said = [line for line in first + summaries if line]
    return said or [row[:width] for row in rows[-8:]]


def run_logged(step: Step, lock: threading.Lock) -> tuple[bool, float]:
    """Run one step with its output in a log file; print the log when it ends."""
    LOGS.mkdir(exist_ok=True)
    log = LOGS / log_name(step)
    with lock:
        say(f"started  {step.name}  (log: {log.relative_to(ROOT)})")
    start = time.monotonic()
    with log.open("w") as out:
        try:
            with subprocess.Popen(  # noqa: S603
                step.argv,
                cwd=step.cwd,
                # Unbuffered, so that each line is stamped when it is written.
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            ) as proc:
                for line in proc.stdout:
                    out.write(stamp(line, time.monotonic() - start))
            rc = proc.returncode
        except FileNotFoundError as exc:
            out.write(f"{step.name}: {exc}\n")
            rc = 127
    seconds = time.monotonic() - start
    with lock:
        banner(step)
        sys.stdout.write(log.read_text(errors="replace"))
        say(f"{'passed' if rc == 0 else 'FAILED'}  {step.name}  ({seconds:.0f} s)")
    return rc == 0, seconds


def run_parallel(
    steps: list[Step], jobs: int, lock: threading.Lock | None = None
) -> list[tuple[Step, bool, float]]:
    lock = lock or threading.Lock()
    done: dict[str, tuple[bool, float]] = {}
    built = threading.Event()
    image_ok: list[bool] = []
    unknown = sorted({s.image for s in steps if s.image and s.image != PACKAGES_IMAGE})
    if unknown:
        raise SystemExit(f"IE_TEST_IMAGE names an image no script builds: {', '.join(unknown)}")
    build = image_step() if any(s.image for s in steps) else None

    def build_image() -> tuple[bool, float]:
        try:
            result = run_logged(build, lock)
            image_ok.append(result[0])
            return result
        finally:
            built.set()

    def scenario(step: Step) -> tuple[bool, float]:
        if step.image:
            built.wait()
            if not image_ok or not image_ok[0]:
                with lock:
                    say(f"FAILED  {step.name}  (its image {step.image} was not built)")
                return False, 0.0
        return run_logged(step, lock)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending = {}
        if build is not None:
            # First, so that it starts beside the first scenario.
            pending[pool.submit(build_image)] = build
        pending.update({pool.submit(scenario, step): step for step in steps})
        while pending:
            finished, _ = wait(pending, timeout=300, return_when=FIRST_COMPLETED)
            for fut in finished:
                done[pending.pop(fut).name] = fut.result()
            if not finished:
                with lock:
                    running = ", ".join(sorted(s.name for s in pending.values()))
                    say(f"still running or queued: {running}")
    known = read_durations(DURATIONS)
    known.update({s.name: round(done[s.name][1], 1) for s in steps if done[s.name][0]})
    DURATIONS.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")
    ordered = ([build] if build is not None else []) + steps
    return [(s, *done[s.name]) for s in ordered]


def run_suite(steps: list[Step], mol: list[Step], jobs: int) -> list[tuple[Step, bool, float]]:
    """The quick steps and the scenarios. Alone, the quick steps stream their
    output. With scenarios (the whole suite), they run one after another
    beside them, logged and printed whole like a scenario: they mostly keep
    one core busy, and a scenario often waits."""
    if not mol:
        return [(step, *run(step)) for step in steps]
    print(f"\n==> {len(mol)} Molecule scenarios, {jobs} at a time", flush=True)
    if not steps:
        return run_parallel(mol, jobs)
    print("==> the quick steps beside them, one after another", flush=True)
    lock = threading.Lock()
    quick: list[tuple[Step, bool, float]] = []

    def run_quick() -> None:
        for step in steps:
            try:
                quick.append((step, *run_logged(step, lock)))
            except Exception as exc:  # reported as the step's failure
                with lock:
                    say(f"FAILED  {step.name}  (could not run: {exc})")
                quick.append((step, False, 0.0))

    thread = threading.Thread(target=run_quick)
    thread.start()
    try:
        scenarios_done = run_parallel(mol, jobs, lock)
    finally:
        thread.join()
    return quick + scenarios_done


def default_jobs() -> int:
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["lint", "unit", "sanity", "molecule"])
    parser.add_argument("--role", default="", help="one role's scenarios (cluster: molecule/)")
    parser.add_argument("--scenario", default="", help="only scenarios with this name")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("IE_TEST_JOBS", default_jobs())),
        help="Molecule scenarios at once (default: $IE_TEST_JOBS, else 2 on two or more cores)",
    )
    args = parser.parse_args()

    if args.jobs < 1:
        print(f"--jobs must be 1 or more, not {args.jobs}", file=sys.stderr)
        return 2
    steps: list[Step] = []
    mol: list[Step] = []
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

    total_start = time.monotonic()
    results = run_suite(steps, longest_first(mol, load_durations()), args.jobs)
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
    for step, ok, _ in results:
        log = LOGS / log_name(step)
        if not ok and log.exists():
            print(f"\nwhy {step.name} failed ({log.relative_to(ROOT)}):")
            print("\n".join(f"  {line}" for line in why_failed(log.read_text(errors="replace"))))
    print(f"\nsteps: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
