#!/usr/bin/env python3
"""Benchmark: what ie-podman costs over plain Podman for ps, run and build.

In one run, on one host, times the same operations done by a student
through ``sudo ie-podman`` and by root with plain ``podman``:

- ``ps --all``;
- ``run --detach`` of a small image (the container is removed afterwards,
  untimed);
- ``build --no-cache`` of the same Containerfile (a static busybox copied
  into a scratch image, so no registry is needed).

Both sides start the same way, through ``runuser`` and a shell in the
user's home (the student as themselves, root as root), so the difference is
what ``sudo ie-podman`` adds to the command typed at a prompt. Each is
repeated, interleaved (both see the same machine load), and the median wall
time of each, the milliseconds ie-podman adds and the ratio are printed. The
times are taken inside the host (``date +%s%N`` around the command), so
``podman exec`` into a lab container adds nothing to either.

    # on a general server, as root; STUDENT may use ie-podman
    python3 benchmarks/ie_podman.py --user STUDENT
    # against the molecule/containers scenario, from this machine
    molecule converge -s containers   # (in molecule/.. of the repo)
    .venv/bin/python benchmarks/ie_podman.py --container ctr-gs01 --user alice

What the ratio shows: ie-podman is a Python program started through sudo
that asks Podman about ownership before it acts, so a fixed cost of a few
hundred milliseconds is expected on every call; for build the cost is
copying the context as the student, small next to the build itself.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys

CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/data"]
CMD ["/bin/busybox", "sleep", "300"]
"""
ROOT_CONTEXT = "/root/ie-bench-ctx"
USER_CONTEXT = "ie-bench-ctx"  # in the student's home
IMAGE = "ie-bench"


def timed_script(command: str) -> str:
    """A shell script that runs ``command`` and prints its wall time in ns."""
    return f"s=$(date +%s%N); {command} >/dev/null || exit $?; e=$(date +%s%N); echo $((e - s))"


def student(user: str, command: str) -> str:
    """``command`` run as ``user`` from their home directory."""
    inner = f"cd ~ && {command}"
    return f"runuser -u {shlex.quote(user)} -- sh -c {shlex.quote(inner)}"


def ratio(wrapped: float, plain: float) -> float:
    if plain <= 0:
        raise ValueError("a command cannot take no time")
    return wrapped / plain


class Host:
    def __init__(self, container: str | None) -> None:
        self.prefix = ["podman", "exec", container] if container else []

    def sh(self, script: str) -> str:
        # The scripts are built here from quoted values; the admin runs this tool.
        done = subprocess.run(  # noqa: S603
            [*self.prefix, "sh", "-c", script], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"failed ({done.returncode}): {script}\n{done.stderr.strip()}")
        return done.stdout

    def seconds(self, command: str) -> float:
        return int(self.sh(timed_script(command)).strip().splitlines()[-1]) / 1e9


def prepare(host: Host, user: str) -> None:
    text = shlex.quote(CONTAINERFILE)
    busybox = "$(command -v busybox)"
    host.sh(
        f"rm -rf {ROOT_CONTEXT} && mkdir -p {ROOT_CONTEXT} && cp {busybox} {ROOT_CONTEXT}/busybox"
        f" && printf %s {text} > {ROOT_CONTEXT}/Containerfile"
    )
    host.sh(
        student(
            user,
            f"rm -rf {USER_CONTEXT} && mkdir {USER_CONTEXT} && cp {busybox} {USER_CONTEXT}/busybox"
            f" && printf %s {text} > {USER_CONTEXT}/Containerfile",
        )
    )


Times = dict[str, tuple[list[float], list[float]]]
IEP = "sudo -n ie-podman"


def pairs(index: int) -> list[tuple[str, str, str]]:
    """(label, ie-podman arguments, podman arguments) for one round."""
    name = f"ie-bench-{index}"
    return [
        ("build --no-cache", f"build --no-cache --tag {IMAGE} {USER_CONTEXT}",
         f"build --no-cache --tag {IMAGE} {ROOT_CONTEXT}"),
        ("ps --all", "ps --all", "ps --all"),
        ("run --detach", f"run --detach --name {name} {IMAGE}",
         f"run --detach --name {name} {IMAGE}"),
    ]  # fmt: skip


def measure(host: Host, user: str, repeat: int) -> Times:
    times: Times = {}
    for index in range(repeat):
        for label, wrapped, plain in pairs(index):
            ie_times, podman_times = times.setdefault(label, ([], []))
            ie_times.append(host.seconds(student(user, f"{IEP} {wrapped}")))
            podman_times.append(host.seconds(student("root", f"podman {plain}")))
        name = f"ie-bench-{index}"
        host.sh(student(user, f"{IEP} rm --force {name} >/dev/null"))
        host.sh(f"podman rm --force {name} >/dev/null")
    return times


def cleanup(host: Host, user: str) -> None:
    host.sh(
        student(user, f"{IEP} rmi {IMAGE} >/dev/null 2>&1; rm -rf {USER_CONTEXT}")
        + f"; podman rmi {IMAGE} >/dev/null 2>&1; rm -rf {ROOT_CONTEXT}; true"
    )


def report(times: Times, repeat: int, where: str) -> None:
    print(f"ie-podman (a student, through sudo) against podman (root), median of {repeat},")
    print(f"on {where}")
    print(f"  {'command':<18} {'ie-podman s':>12} {'podman s':>10} {'added ms':>9} {'ratio':>7}")
    for command, (wrapped, plain) in times.items():
        w, p = statistics.median(wrapped), statistics.median(plain)
        print(f"  {command:<18} {w:12.3f} {p:10.3f} {(w - p) * 1000:9.0f} {ratio(w, p):7.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="a student allowed to use ie-podman")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--container", help="run inside this container (podman exec)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    host = Host(args.container)
    prepare(host, args.user)
    try:
        times = measure(host, args.user, args.repeat)
    finally:
        cleanup(host, args.user)
    report(times, args.repeat, f"container {args.container}" if args.container else "this host")
    return 0


if __name__ == "__main__":
    sys.exit(main())
