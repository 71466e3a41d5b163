#!/usr/bin/env python3
"""Benchmark: what a container template adds to a batch job (issue 27).

In one run, on one submit host, as one student, times the same job with and
without a template: ``sbatch --wait --wrap true``, and the same with
``--container=TEMPLATE``. The wall time is the job's whole life as the
student sees it (submit, schedule, start, the command, the end), so the
difference is what the template costs: slurmstepd starting the runtime,
Apptainer setting up its namespaces and binds over the unpacked sandbox.
The two are interleaved (both see the same load and the same scheduler
passes) and the median of each, the seconds added and the ratio are
printed.

    # on a general server, as root; TEMPLATE registered (stemplates lists it)
    python3 benchmarks/template_job.py --user STUDENT --template TEMPLATE
    # against molecule/site's cluster, from this machine
    .venv/bin/python benchmarks/template_job.py --container gs01 --user student1 \\
        --template marker-plain

The template's image needs `true` (any image with a shell has it).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys


def timed(user: str, options: str) -> str:
    """A script timing one waited job of ``user`` in ns."""
    job = f"sbatch --wait --quiet -o /dev/null {options} --wrap true"
    inner = f"cd ~ && s=$(date +%s%N) && {job} && e=$(date +%s%N) && echo $((e - s))"
    return f"su - {shlex.quote(user)} -c {shlex.quote(inner)}"


def run(container: str | None, script: str) -> float:
    argv = ["sh", "-c", script]
    if container:
        argv = ["podman", "exec", container, *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"template_job: the job failed: {done.stderr.strip()}")
    return int(done.stdout.strip().splitlines()[-1]) / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--container", help="the submit host's lab container (podman exec)")
    parser.add_argument("--user", required=True, help="a student who may submit jobs")
    parser.add_argument("--template", required=True, help="a registered template")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    plain, templated = [], []
    for _ in range(args.runs):
        plain.append(run(args.container, timed(args.user, "")))
        container = f"--container={shlex.quote(args.template)}"
        templated.append(run(args.container, timed(args.user, container)))
    p, t = statistics.median(plain), statistics.median(templated)
    print(f"median of {args.runs}, sbatch --wait --wrap true as {args.user}:")
    print(f"  {'job without a container':<32} {p:7.2f} s")
    print(f"  {'job in template ' + args.template:<32} {t:7.2f} s")
    print(f"  the template adds {t - p:+.2f} s ({t / p:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
