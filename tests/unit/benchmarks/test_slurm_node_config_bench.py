"""The Slurm benchmark runs as the README says, from a clone, with nothing on
PYTHONPATH (issue 24: it failed with ModuleNotFoundError there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_runs_from_the_repository_root_without_pythonpath():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "benchmarks/slurm_node_config.py", "--nodes", "60", "--repeat", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "render seconds:" in done.stdout
    assert "target: under 2 s -> met" in done.stdout
