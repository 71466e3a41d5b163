"""Containerfiles read the way the builder reads them.

A port of the parts of BuildKit's Dockerfile parser
(``frontend/dockerfile/parser``, which Buildah's imagebuilder shares) that
decide what an instruction is: parser directives (``# escape=``), line
continuations (the escape character followed by blanks), comment and empty
lines inside a continuation, and the ``--flags`` at the start of an
instruction, with their quotes. ``tests/unit/ie_podman/test_recipe.py``
compares it with the Go parser itself (the ``dockerfile`` package).

Where builders may differ, ie-podman reads a recipe every way it could be
read (both escape characters) and checks every reading; characters where
Go's and Python's ideas of white space differ are refused outright.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ie_common.errors import UsageError
from ie_common.i18n import _

ESCAPE_DIRECTIVE_RE = re.compile(r"#[ \t]*escape[ \t]*=[ \t]*(.).*")
DIRECTIVE_RE = re.compile(r"#[ \t]*([a-z][a-z0-9]*)[ \t]*=[ \t]*(.*)")
# C0 controls but tab, CR and LF; DEL; Unicode white space other than ' '.
ODD_CHARACTERS_RE = re.compile(
    "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
INJECTED_ARG = "IE_BUILD_OWNER"


class Instruction(NamedTuple):
    cmd: str  # upper case: FROM, RUN, COPY, ...
    flags: tuple[str, ...]  # the --flags, quotes removed
    rest: str  # the line after the flags
    start_line: int  # 1-based, as the builder counts
    end_line: int


def check_characters(text: str) -> None:
    text = text.removeprefix("\ufeff")
    match = ODD_CHARACTERS_RE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise UsageError(
            _(
                "line {line} of the Containerfile has the character U+{ord:04X}",
                line=line,
                ord=ord(match.group()),
            ),
            _("builders read unusual white space and control characters differently; remove it"),
        )


def _continuation(token: str, old_rule: bool) -> re.Pattern[str]:
    """BuildKit: the escape character not itself escaped, then blanks, at the
    end. Older parsers (``old_rule``) took any final escape character."""
    e = re.escape(token)
    return re.compile(rf"{e}[ \t]*\Z" if old_rule else rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z")


def parse(text: str, escape: str | None = None, old_rule: bool = False) -> list[Instruction]:
    """The instructions of ``text``; ``escape`` overrides the ``# escape=``
    directive, ``old_rule`` reads continuations as older parsers did."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final new line ends the last line; it does not start another
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    token = escape or "\\"
    directives_open = escape is None
    continuation = _continuation(token, old_rule)
    out: list[Instruction] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n").lstrip(" \t")
        i += 1
        if directives_open:
            found = ESCAPE_DIRECTIVE_RE.fullmatch(line.lower())
            if found:
                if found.group(1) not in ("\\", "`"):
                    raise UsageError(
                        _("invalid escape character {escape!r}", escape=found.group(1))
                    )
                token = found.group(1)
                continuation = _continuation(token, old_rule)
                continue
            if DIRECTIVE_RE.fullmatch(line.lower()):
                continue  # syntax=, check=: directives ie-podman does not use
            directives_open = False
        if line.startswith("#"):
            continue
        start = i
        body, ended = _trim(line, continuation)
        if ended and body == "":
            continue
        while not ended and i < len(lines):
            raw = lines[i].rstrip("\r\n")
            i += 1
            if raw.lstrip(" \t").startswith("#") or raw.strip(" \t") == "":
                continue
            part, ended = _trim(raw, continuation)
            body += part
        out.append(split_instruction(body, start, i))
    return out


def _trim(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    match = continuation.search(line)
    if match:
        return line[: match.start()], False
    return line, True


def split_instruction(line: str, start: int, end: int) -> Instruction:
    """One instruction line (continuations joined): command, builder flags, the rest."""
    parts = re.split(r"[\t\v\f\r ]+", line.strip(" \t\v\f\r\n"), maxsplit=1)
    rest, flags = _builder_flags(parts[1]) if len(parts) == 2 else ("", [])
    return Instruction(parts[0].upper(), tuple(flags), rest, start, end)


def _builder_flags(line: str) -> tuple[str, list[str]]:
    """BuildKit's extractBuilderFlags: leading ``--flag`` words, quotes removed."""
    words: list[str] = []
    phase, word, quote, blank_ok = "spaces", "", "", False
    pos = 0
    while pos <= len(line):
        ch = line[pos] if pos < len(line) else ""
        if phase == "spaces":
            if pos == len(line):
                break
            if ch in " \t\v\f\r\n":
                pos += 1
                continue
            if ch != "-" or pos + 1 == len(line) or line[pos + 1] != "-":
                return line[pos:], words
            phase = "word"
        if phase in ("word", "quote") and pos == len(line):
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == "word" and ch in " \t\v\f\r\n":
            phase = "spaces"
            if word == "--":
                return line[pos:], words
            if blank_ok or word:
                words.append(word)
            word, blank_ok = "", False
            pos += 1
            continue
        if phase == "word" and ch in "'\"":
            quote, blank_ok, phase = ch, True, "quote"
            pos += 1
            continue
        if phase == "quote" and ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":  # the next character as it is; a final one ends a quote
            if pos + 1 == len(line):
                phase = "word"
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word += ch
        pos += 1
    return "", words


def readings(text: str) -> list[list[Instruction]]:
    """Every way a builder may read ``text``: as its directive says, and with
    each escape character."""
    check_characters(text)
    return [
        parse(text, escape, old_rule) for escape in (None, "\\", "`") for old_rule in (False, True)
    ]


def flag_values(flags: tuple[str, ...], name: str) -> list[str]:
    """Values of ``--name=VALUE`` among ``flags`` (any case, as a builder might)."""
    prefix = f"--{name}"
    out = []
    for flag in flags:
        key, sep, value = flag.partition("=")
        if key.lower() == prefix:
            out.append(value if sep else "")
    return out


def mount_options(spec: str) -> dict[str, str]:
    """The fields of a ``RUN --mount`` value (CSV of key=value, as BuildKit reads it)."""
    import csv  # only build reads a recipe's options

    fields = next(csv.reader([spec]), [])
    out = {}
    for field in fields:
        key, _sep, value = field.partition("=")
        out[key.strip().lower()] = value.strip()
    return out


def with_owner_arg(text: str, instructions: list[Instruction]) -> str:
    """``text`` with ``ARG IE_BUILD_OWNER`` after each FROM: every RUN's cache
    key then includes the owner (given with ``--build-arg``), so no student's
    build reuses a layer another student's RUN made."""
    lines = text.split("\n")
    ends = sorted({ins.end_line for ins in instructions if ins.cmd == "FROM"}, reverse=True)
    for end in ends:
        lines.insert(end, f"ARG {INJECTED_ARG}")
    return "\n".join(lines)
