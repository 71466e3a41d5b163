"""One help layout for both wrappers (issue 25): a usage line, what the
command does, a table of commands or options, then the notes, the exit
statuses and what this server's configuration sets."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

WIDTH = 26


def table(title: str, entries: Iterable[tuple[str, str]]) -> str:
    """``title:`` and one row per (name, text): the names in a column as wide
    as the longest (at most WIDTH), the texts wrapped beside them."""
    rows = list(entries)
    width = min(WIDTH, max((len(name) for name, _ in rows), default=0))
    lines = [f"{title}:"]
    for name, text in rows:
        wrapped = textwrap.wrap(text, max(78 - width - 4, 30)) or [""]
        if len(name) > width:
            lines.append(f"  {name}")
        else:
            lines.append(f"  {name:<{width}}  {wrapped.pop(0)}".rstrip())
        lines += [f"  {'':<{width}}  {more}" for more in wrapped]
    return "\n".join(lines)


def page(usage: str, description: str, sections: Iterable[str], notes: Iterable[str] = ()) -> str:
    """The whole help text: the parts separated by blank lines."""
    wrapped = [textwrap.fill(" ".join(n.split()), 78) for n in notes if n and n.strip()]
    parts = [f"usage: {usage}", description, *sections, *wrapped]
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip()) + "\n"


def exit_statuses(program: str, tool: str, objects: str, extra: dict[int, str]) -> str:
    """The statuses both wrappers share (ie_common.errors), and their own."""
    statuses = {
        0: "done",
        1: f"{tool} failed (its message is shown)",
        2: "bad command line",
        3: f"refused by {program}'s rules",
        4: f"no such {objects} of yours",
        5: "a limit would be exceeded",
        7: f"not run through sudo, or {program} is misconfigured",
        **extra,
    }
    return "exit status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + "."
