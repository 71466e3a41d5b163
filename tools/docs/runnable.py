"""The shell blocks of the guides that are marked as runnable.

A block is runnable when the line before its fence is
``<!-- runnable: NAME (PATH runs it ...) -->``. The scenario test at PATH
runs it as a student (molecule/containers/tests/test_guides.py,
molecule/site/tests/test_guides_registry.py), and
tests/unit/test_student_guides.py checks that PATH exists and runs it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK_RE = re.compile(r"<!-- runnable: ([a-z0-9-]+)[^\n]*-->\n```(?:sh|bash)\n(.*?)```", re.S)
RUNNER_RE = re.compile(r"<!-- runnable: ([a-z0-9-]+) \(([\w/.-]+\.py) ")


def blocks(path: Path) -> dict[str, str]:
    """NAME -> the block's text, for each runnable block of ``path``."""
    found: dict[str, str] = {}
    for name, body in MARK_RE.findall(path.read_text(encoding="utf-8")):
        if name in found:
            raise ValueError(f"{path}: two runnable blocks named {name}")
        found[name] = body
    return found


def runners(path: Path) -> dict[str, Path]:
    """NAME -> the scenario test that runs the block, as its marker says."""
    text = path.read_text(encoding="utf-8")
    return {name: ROOT / runner for name, runner in RUNNER_RE.findall(text)}


def script(body: str) -> str:
    """The block as a bash script that stops at the first failing line."""
    return "set -euo pipefail\n" + body
