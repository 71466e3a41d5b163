#!/usr/bin/env python3
"""Benchmark: write speed through CephFS against a local disk, as the seeds did with dd.

In the same run, on the same host, writes the same amount with
``dd if=/dev/zero bs=4M count=N conv=fdatasync`` (fdatasync: the time
includes getting the data to stable storage, not only into the page cache)
to a CephFS directory and to a local directory, a few times each, then
prints both median rates and their ratio. The files are removed afterwards.

    # on a CephFS client
    python3 benchmarks/cephfs_write.py --cephfs /home/bench --local /var/tmp
    # against the lab (make lab), from this machine
    .venv/bin/python benchmarks/cephfs_write.py --container ie-lab-gs04

In the lab every "server" is a container on one machine, so the figures
show the software path (ceph-fuse, the network stack, replication to two
OSDs on the same disk), not what the department's hardware does.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time

BLOCK = 4 * 1024 * 1024


def dd_command(path: str, blocks: int) -> str:
    return (
        f"dd if=/dev/zero of={shlex.quote(path)} bs={BLOCK} count={blocks}"
        " conv=fdatasync status=none"
    )


def rate_mib_s(size_bytes: int, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("a write cannot take no time")
    return size_bytes / (1024 * 1024) / seconds


def run(prefix: list[str], script: str) -> None:
    # The script is built here from quoted paths; the admin runs this tool.
    subprocess.run([*prefix, "sh", "-c", script], check=True)  # noqa: S603


def timed_write(prefix: list[str], directory: str, blocks: int, index: int) -> float:
    path = f"{directory.rstrip('/')}/ie-bench-{index}.bin"
    start = time.monotonic()
    run(prefix, dd_command(path, blocks))
    elapsed = time.monotonic() - start
    run(prefix, f"rm -f {shlex.quote(path)}")
    return rate_mib_s(blocks * BLOCK, elapsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cephfs", default="/home/ie-bench", help="a directory on CephFS")
    # /var/tmp: a local disk on every host (not a tmpfs); the file is named and removed.
    parser.add_argument("--local", default="/var/tmp", help="a directory on a local disk")  # noqa: S108
    parser.add_argument("--size-mib", type=int, default=256, help="MiB written per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--container", help="run inside this container (podman exec)")
    args = parser.parse_args(argv)
    if args.size_mib < 4 or args.repeat < 1:
        parser.error("--size-mib must be at least 4 and --repeat at least 1")

    prefix = ["podman", "exec", args.container] if args.container else []
    blocks = args.size_mib // 4
    run(prefix, f"mkdir -p {shlex.quote(args.cephfs)} {shlex.quote(args.local)}")
    rates: dict[str, list[float]] = {"cephfs": [], "local": []}
    # Interleaved, so that both see the same machine load.
    for index in range(args.repeat):
        rates["cephfs"].append(timed_write(prefix, args.cephfs, blocks, index))
        rates["local"].append(timed_write(prefix, args.local, blocks, index))
    cephfs, local = (statistics.median(rates[k]) for k in ("cephfs", "local"))
    where = f"container {args.container}" if args.container else "this host"
    print(f"dd write, {blocks * 4} MiB x {args.repeat} (median), conv=fdatasync, on {where}")
    print(f"  CephFS {args.cephfs:<20} {cephfs:8.1f} MiB/s")
    print(f"  local  {args.local:<20} {local:8.1f} MiB/s")
    print(f"  ratio CephFS/local           {cephfs / local:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
