#!/usr/bin/env python3
"""Benchmark: what the web console adds to a page over the same wrapper
commands typed at a shell.

In one run, for one student, times each of the console's listing pages
(an HTTPS GET with the student's session, from this machine, as a browser
asks for it) and the same wrapper commands that page runs, typed at a shell
on the console's host (``runuser`` and a shell in the student's home, the
commands one after the other), interleaved so that both see the same load.
It prints the median of each, the milliseconds the console adds, and the
ratio:

- containers: ``ie-podman ps --all --format json`` and
  ``ie-podman images --format json`` (the run form's choices);
- images: ``ie-podman images --format json``;
- vms: ``ie-virsh list --all --format json`` and ``ie-virsh templates
  --format json`` (the define form's choices);
- jobs: ``squeue --me --json`` and ``stemplates --format json``.

The console's side includes what a browser pays too: a new TLS connection
per page (this client keeps none open), and the page's rendering.

The lab's students have no password: ``--directory`` names the lab's
directory container, where a password is set for the run and removed after
(tools/lab/directory.py).

    # make lab, then (the console on ie-lab-gs01):
    .venv/bin/python benchmarks/console_pages.py --container ie-lab-gs01 \\
        --directory ie-lab-ldap01 --user student2
    # molecule/site (molecule converge -s site):
    .venv/bin/python benchmarks/console_pages.py --container gs01 --directory ldap01 \\
        --user student2
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ie_podman import Host, ratio, student  # noqa: E402 (how ie_podman.py times)
from tools.lab.console_client import Browser, console_url  # noqa: E402
from tools.lab.directory import Directory  # noqa: E402

IEP, IEV = "sudo -n ie-podman", "sudo -n ie-virsh"
# page -> the commands it runs (ie_console.pages.KINDS: its listing and its form's choices)
PAGES = {
    "containers": [f"{IEP} ps --all --format json", f"{IEP} images --format json"],
    "images": [f"{IEP} images --format json"],
    "vms": [f"{IEV} list --all --format json", f"{IEV} templates --format json"],
    "jobs": ["squeue --me --json", "stemplates --format json"],
}


def measure(host: Host, browser: Browser, user: str, repeat: int) -> dict:
    times: dict[str, tuple[list[float], list[float]]] = {}
    for _ in range(repeat):
        for page, commands in PAGES.items():
            console, shell = times.setdefault(page, ([], []))
            start = time.monotonic()
            got = browser.get(f"/{page}")
            console.append(time.monotonic() - start)
            if got.status != 200 or not got.url.endswith(f"/{page}"):
                raise SystemExit(f"/{page}: {got.status} {got.url}")
            shell.append(host.seconds(student(user, "; ".join(commands))))
    return times


def report(times: dict, repeat: int, where: str) -> None:
    print(f"the web console's pages against the same commands at a shell, median of {repeat},")
    print(f"on {where}")
    print(f"  {'page':<12} {'console s':>10} {'shell s':>8} {'added ms':>9} {'ratio':>6}")
    for page, (console, shell) in times.items():
        c, s = statistics.median(console), statistics.median(shell)
        print(f"  {page:<12} {c:10.3f} {s:8.3f} {(c - s) * 1000:9.0f} {ratio(c, s):6.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--container", required=True, help="the console's host (podman exec)")
    parser.add_argument("--directory", required=True, help="the lab directory's container")
    parser.add_argument("--user", required=True, help="a student of the lab's directory")
    parser.add_argument("--url", help="the console (default: https://<the container's address>)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    host = Host(args.container)
    url = args.url or console_url(args.container)
    lab = Directory(args.directory)
    password = "bench-" + secrets.token_urlsafe(12)
    with tempfile.NamedTemporaryFile("w", suffix=".crt") as ca:
        ca.write(host.sh("cat /etc/ie/console-tls/ca.crt"))
        ca.flush()
        lab.set_password(args.user, password)
        try:
            browser = Browser(ca.name, url)
            page = browser.login(args.user, password)
            if not page.url.endswith("/containers"):
                raise SystemExit(f"login as {args.user} failed: {page.status} {page.messages()}")
            every = [command for commands in PAGES.values() for command in commands]
            host.sh(student(args.user, "; ".join(every)))  # warm both up
            times = measure(host, browser, args.user, args.repeat)
            browser.post("/logout")
        finally:
            lab.drop_password(args.user)
    report(times, args.repeat, f"{url} (container {args.container})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
