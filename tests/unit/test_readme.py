"""The README's roles table renders as one table and names every role."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def roles_table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    start = section.index("| role |")
    rows = []
    for line in section[start:].splitlines():
        if not line.startswith("|"):
            break  # a table ends at its first line that is not a row
        rows.append(line)
    return rows


def test_every_role_has_a_row_in_one_unbroken_table():
    rows = roles_table()
    named = {m.group(1) for row in rows[2:] if (m := re.match(r"\| `([a-z_]+)` \|", row))}
    roles = {p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir()}
    assert roles <= named, f"roles without a row: {sorted(roles - named)}"
    assert all(row.count(" | ") >= 2 for row in rows)
