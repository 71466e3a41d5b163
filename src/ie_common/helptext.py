"""One help layout for both wrappers (issue 25): a usage line, what the
command does, a table of commands or options, then the notes, the exit
statuses and what this server's configuration sets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ie_common.i18n import _

WIDTH = 26
# A word of ASCII or other narrow letters, or one wide character (Japanese
# breaks between any two, except before closing punctuation).
# Compiled when help is first wrapped (re caches it), not on import: the
# character range alone takes 3.5 ms to compile, on every command (issue 24).
_PIECE = r"\s+|[^\s\u1100-\uffef]+|."
# Japanese commas, full stops, closing brackets, the long vowel mark and ")".
_NO_BREAK_BEFORE = frozenset(
    "\u3001\u3002\uff0c\uff0e\u30fb\uff1a\uff1b\uff1f\uff01"
    "\uff09\u300d\u300f\u3011\u3015\u30fc\u3005)"
)


def columns(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns: broken at spaces, and
    also between wide characters, as Japanese is (textwrap counts
    characters and breaks only at spaces)."""
    lines: list[str] = []
    line = ""
    for piece in re.findall(_PIECE, " ".join(text.split())):
        if piece.isspace():
            line += " " if line else ""
            continue
        fits = columns(line + piece) <= width
        if line.strip() and not fits and piece[0] not in _NO_BREAK_BEFORE:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def table(title: str, entries: Iterable[tuple[str, str]]) -> str:
    """``title:`` and one row per (name, text): the names in a column as wide
    as the longest (at most WIDTH), the texts wrapped beside them."""
    rows = list(entries)
    width = min(WIDTH, max((len(name) for name, _text in rows), default=0))
    lines = [_("{title}:", title=title)]
    for name, text in rows:
        wrapped = wrap(text, max(78 - width - 4, 30)) or [""]
        if len(name) > width:
            lines.append(f"  {name}")
        else:
            lines.append(f"  {name:<{width}}  {wrapped.pop(0)}".rstrip())
        lines += [f"  {'':<{width}}  {more}" for more in wrapped]
    return "\n".join(lines)


def page(usage: str, description: str, sections: Iterable[str], notes: Iterable[str] = ()) -> str:
    """The whole help text: the parts separated by blank lines."""
    wrapped = ["\n".join(wrap(n, 78)) for n in notes if n and n.strip()]
    parts = [_("usage: {usage}", usage=usage), description, *sections, *wrapped]
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip()) + "\n"


def exit_statuses(program: str, tool: str, objects: str, extra: dict[int, str]) -> str:
    """The statuses both wrappers share (ie_common.errors), and their own."""
    statuses = {
        0: _("done"),
        1: _("{tool} failed (its message is shown)", tool=tool),
        2: _("bad command line"),
        3: _("refused by {program}'s rules", program=program),
        4: _("no such {objects} of yours", objects=objects),
        5: _("a limit would be exceeded"),
        7: _("not run through sudo, or {program} is misconfigured", program=program),
        **extra,
    }
    listed = _(", ").join(
        _("{status} {meaning}", status=k, meaning=v) for k, v in sorted(statuses.items())
    )
    return _("exit status: {statuses}.", statuses=listed)
