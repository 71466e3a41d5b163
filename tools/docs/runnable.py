"""The shell blocks of the guides that are marked as runnable.

A block is runnable when the line before its fence is
``<!-- runnable: NAME (where it runs) -->``. The scenario named there runs
it line by line as a student (molecule/containers/tests/test_guides.py),
and tests/unit/test_student_guides.py checks that every marked block has
a scenario that runs it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK_RE = re.compile(r"<!-- runnable: ([a-z0-9-]+)[^\n]*-->\n```(?:sh|bash)\n(.*?)```", re.S)


def blocks(path: Path) -> dict[str, str]:
    """NAME -> the block's text, for each runnable block of ``path``."""
    found: dict[str, str] = {}
    for name, body in MARK_RE.findall(path.read_text(encoding="utf-8")):
        if name in found:
            raise ValueError(f"{path}: two runnable blocks named {name}")
        found[name] = body
    return found


def script(body: str) -> str:
    """The block as a bash script that stops at the first failing line."""
    return "set -euo pipefail\n" + body
