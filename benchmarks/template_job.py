#!/usr/bin/env python3
"""Benchmark: what a container template adds to a job's start (issue 27).

In one run, as one student, on one submit host: one job holds an
allocation (``sleep``), and the same step is started in it with ``srun
--jobid=J --overlap``, with and without the template's container, then (with
``--own-image``) in the student's own image. Each is timed from just before
``srun`` to its end (``echo``), so the difference is what the container
costs: slurmstepd starting oci.conf's runtime, Apptainer setting up its
namespaces and binds over the unpacked sandbox (and for an own image the
pull and the SIF). Scheduling is left out: a batch job waits for the
scheduler's next pass, which takes 0.5 to 4 s on the lab, the same with or
without a container, and would drown the figure. The step names the path
``job_submit.lua`` gives a batch job (a template's sandbox, or the own
image's path). The kinds are interleaved (same load) and the median of
each, the seconds added and the ratio are printed.

    # on a general server, as root; TEMPLATE registered (stemplates lists it)
    python3 benchmarks/template_job.py --user STUDENT --template TEMPLATE
    # against molecule/site's cluster, from this machine
    .venv/bin/python benchmarks/template_job.py --container gs01 --user student1 \\
        --template marker-plain --own-image student1/ownimg:1

The images need ``/bin/sh`` (busybox or any shell).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys

# job_submit.lua's paths for --container=NAME and --container=LOGIN/IMAGE:TAG
TEMPLATES_DIR = "/var/lib/ie-cluster/templates"
USER_IMAGES = "/var/lib/ie-cluster/user-images"


def as_user(user: str, inner: str) -> str:
    return f"su - {shlex.quote(user)} -c {shlex.quote(inner)}"


def hold(user: str) -> str:
    """A script submitting the job that holds the allocation; prints its id
    once it runs."""
    inner = (
        "j=$(sbatch --parsable -o /dev/null -t 30 --wrap 'sleep 1800') && n=0 && "
        'until [ "$(squeue -h -j $j -o %t)" = R ] || [ $n -ge 600 ]; do sleep 0.1; '
        "n=$((n + 1)); done; echo $j"
    )
    return as_user(user, inner)


def timed(user: str, jobid: str, container: str) -> str:
    """A script printing, in ns, how long one step of ``jobid`` takes."""
    option = f"--container={shlex.quote(container)} " if container else ""
    # an absolute path: srun resolves a bare name on the submit host (/usr/bin/echo)
    step = f"srun --jobid={jobid} --overlap --quiet -n1 {option}/bin/sh -c 'echo started'"
    inner = f"s=$(date +%s%N) && {step} >/dev/null && e=$(date +%s%N) && echo $((e - s))"
    return as_user(user, inner)


def run(container: str | None, script: str) -> str:
    argv = ["sh", "-c", script]
    if container:
        argv = ["podman", "exec", container, *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    last = done.stdout.strip().splitlines()[-1:]
    if done.returncode != 0 or not last or not last[0].isdigit():
        raise SystemExit(f"template_job: failed: {done.stdout.strip()} {done.stderr.strip()}")
    return last[0]


def container_path(image: str) -> str:
    """The path job_submit.lua gives --container=``image``."""
    if "/" not in image:
        return f"{TEMPLATES_DIR}/{image}"
    login, _slash, name = image.partition("/")
    return f"{USER_IMAGES}/{login}/{name if ':' in name else name + ':latest'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--container", help="the submit host's lab container (podman exec)")
    parser.add_argument("--user", required=True, help="a student who may submit jobs")
    parser.add_argument("--template", required=True, help="a registered template")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--own-image", help="also the student's own LOGIN/IMAGE[:TAG]")
    args = parser.parse_args()
    kinds = [("step without a container", ""), (f"in template {args.template}", args.template)]
    if args.own_image:
        kinds.append((f"in own image {args.own_image}", args.own_image))
    times: dict[str, list[float]] = {label: [] for label, _ in kinds}
    jobid = run(args.container, hold(args.user))
    try:
        for _ in range(args.runs):
            for label, image in kinds:
                path = container_path(image) if image else ""
                ns = run(args.container, timed(args.user, jobid, path))
                times[label].append(int(ns) / 1e9)
    finally:
        subprocess.run(  # noqa: S603
            [*(["podman", "exec", args.container] if args.container else []), "scancel", jobid],
            check=False,
        )
    medians = {label: statistics.median(values) for label, values in times.items()}
    base = medians[kinds[0][0]]
    print(f"median of {args.runs}, one srun step in a running job, as {args.user}:")
    for label, value in medians.items():
        print(f"  {label:<40} {value:7.3f} s")
    for label, value in list(medians.items())[1:]:
        print(f"  {label.removeprefix('in ')} adds {value - base:+.3f} s ({value / base:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
