"""The shell blocks of the guides that are marked as runnable.

A block is runnable when the line before its fence is
``<!-- runnable: NAME (PATH runs it ...) -->``, both indented alike (a block
in a list item). The test at PATH runs it: a scenario's as a student or an
admin (molecule/containers/tests/test_guides.py,
molecule/site/tests/test_guides_registry.py), a unit test where it needs
only the control node (tests/unit/test_new_vault.py), and
tests/unit/test_student_guides.py checks that PATH exists and runs it.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK_RE = re.compile(
    r"^( *)<!-- runnable: ([a-z0-9-]+)[^\n]*-->\n\1```(?:sh|bash)\n(.*?)^\1```", re.S | re.M
)
RUNNER_RE = re.compile(r"<!-- runnable: ([a-z0-9-]+) \(([\w/.-]+\.py) ")


def blocks(path: Path) -> dict[str, str]:
    """NAME -> the block's text, for each runnable block of ``path``."""
    found: dict[str, str] = {}
    for indent, name, body in MARK_RE.findall(path.read_text(encoding="utf-8")):
        body = textwrap.dedent(body) if indent else body
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
