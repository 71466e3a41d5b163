"""Every Markdown table in the README and docs/ renders as a table: a header,
a delimiter row with as many columns, and no row that a stray line break or
an unescaped ``|`` has cut or widened (issue 25)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "roles").glob("*/README.md"),
        ROOT / "collections/ansible_collections/ie/cluster/README.md",
    ]
)
DELIMITER = re.compile(r"\|? *:?-{3,}:? *(\| *:?-{3,}:? *)*\|?")


def cells(row: str) -> int:
    """The cells of a table row as GitHub counts them: ``|`` inside a code
    span or after a backslash does not separate."""
    text = re.sub(r"`[^`]*`", "x", row.strip())
    text = text.replace("\\|", "x")
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return text.count("|") + 1


def tables(text: str) -> list[tuple[int, list[str]]]:
    """(line number, rows) of each run of lines that start with ``|``,
    outside fenced code blocks."""
    found: list[tuple[int, list[str]]] = []
    fenced = False
    current: list[str] = []
    start = 0
    for number, line in enumerate([*text.splitlines(), ""], 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            if not current:
                start = number
            current.append(line)
            continue
        if current:
            found.append((start, current))
            current = []
    return found


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_table_renders(path):
    for line, rows in tables(path.read_text()):
        where = f"{path.relative_to(ROOT)}:{line}"
        assert len(rows) >= 2 and DELIMITER.fullmatch(rows[1].strip()), f"{where}: no delimiter row"
        width = cells(rows[0])
        assert cells(rows[1]) == width, f"{where}: the delimiter row has a different width"
        for offset, row in enumerate(rows[2:], 2):
            assert cells(row) == width, f"{where}+{offset}: {cells(row)} cells, not {width}"


def test_the_checker_finds_broken_tables():
    broken = "| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n"
    cut = "| a | b |\n| --- | --- |\n| one\ncontinued | 2 |\n"
    fine = "| a | b |\n| --- | --- |\n| `x|y` | 2 \\| 3 |\n"
    assert [cells(r) for r in tables(broken)[0][1]] == [2, 2, 3]
    assert len(tables(cut)[0][1]) == 3 and cells(tables(cut)[0][1][2]) == 1
    assert [cells(r) for r in tables(fine)[0][1]] == [2, 2, 2]
    assert tables("```\n| a |\n```\n") == []
