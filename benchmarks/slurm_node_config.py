#!/usr/bin/env python3
"""Benchmark: render the Slurm node configuration of a large synthetic cluster.

Builds an inventory of N nodes (default 5,000) in a few hardware classes,
runs them through the filters that render slurm.conf NodeName lines and
gres.conf lines, and prints the seconds it took. Target (issue 3): under 2 s
for 5,000 nodes.

    .venv/bin/python benchmarks/slurm_node_config.py [--nodes 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# The repository's filters, and the collection's module_utils they import
# (ansible_collections.ie.cluster), as Ansible finds them in a playbook run.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filter_plugins.slurm import slurm_gres_lines, slurm_hostlist_expand, slurm_node_lines

CLASSES = [
    {"sockets": 2, "cores_per_socket": 22, "threads_per_core": 2, "real_memory": 500000,
     "gpus": 1, "gpu_type": "tesla"},
    {"sockets": 2, "cores_per_socket": 32, "threads_per_core": 2, "real_memory": 1000000,
     "gpus": 4, "gpu_type": "a100"},
    {"sockets": 1, "cores_per_socket": 16, "threads_per_core": 1, "real_memory": 64000},
]  # fmt: skip


def inventory(n: int) -> tuple[list[str], dict[str, dict]]:
    hosts, hostvars = [], {}
    for i in range(n):
        # Classes in long runs, with the odd different node in between, as
        # real clusters grow: hostlists with many ranges, not one.
        cls = CLASSES[(i // 500) % len(CLASSES)] if i % 97 else CLASSES[2]
        name = f"node{i:05d}"
        hosts.append(name)
        hostvars[name] = {"slurm_node_hardware": cls}
    return hosts, hostvars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    hosts, hostvars = inventory(args.nodes)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        nodes = slurm_node_lines(hosts, hostvars, gpu_type="gpu")
        gres = slurm_gres_lines(hosts, hostvars, gpu_type="gpu")
        times.append(time.perf_counter() - start)

    # The rendered lines cover every node exactly once.
    covered = [h for line in nodes for h in slurm_hostlist_expand(line.split()[0][9:])]
    assert sorted(covered) == hosts, "node lines do not cover every node once"

    print(f"nodes: {args.nodes}")
    print(f"NodeName lines: {len(nodes)}, gres.conf lines: {len(gres)}")
    print(f"render seconds: best {min(times):.3f}, median {statistics.median(times):.3f} "
          f"(of {args.repeat} runs)")  # fmt: skip
    print(f"target: under 2 s -> {'met' if statistics.median(times) < 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
