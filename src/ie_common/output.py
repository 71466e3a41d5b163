"""Tables for people, JSON for scripts (``--format json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str | None) -> str:
    """``rows`` as JSON (``fmt == "json"``) or as a table of ``columns``."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2)
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)
