"""Run Ansible as a production run makes it, for the tests: ansible.cfg
alone, nothing from the lab's or the harness's ANSIBLE_* environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production run, with ``extra`` ANSIBLE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env.update(extra)
    return env


def production_run(*argv: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    """``argv`` (an Ansible command of the virtualenv) in the repository."""
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=ROOT,
        env=production_env(**extra),
        check=check,
        capture_output=True,
        text=True,
    )
