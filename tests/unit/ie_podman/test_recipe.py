"""ie-podman's reading of Containerfiles against the Go parser itself.

The ``dockerfile`` package wraps BuildKit's own parser. Hypothesis writes
Containerfiles from the spellings that once split the two readings (blanks
after a continuation, comment and empty lines inside one, ``# escape=``,
options at the start of a continued line, quotes) and the test requires
the same instructions and flags from both.
"""

from __future__ import annotations

import dockerfile
import pytest
from fakepodman import FakePodman
from hypothesis import given, settings
from hypothesis import strategies as st

from ie_common.errors import IeError, NotFound, Refused, UsageError
from ie_common.identity import Caller
from ie_podman import cli, config, recipe

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))

FRAGMENTS = [
    "FROM scratch", "FROM scratch AS base", "FROM localhost/bob/secret", "FROM base",
    "RUN true", "RUN \\", "RUN \\  ", "RUN \\\t", "COPY \\", "COPY `", "RUN `  ",
    "  --mount=type=cache,target=/c true", "--mount=type=bind,from=localhost/bob/secret,target=/s",
    "  --from=localhost/bob/secret /a /b", "--from=base /a /b", "# a comment", "  # indented",
    "", "   ", "# escape=`", "# escape=\\", "#escape = `", "# syntax=docker/dockerfile:1",
    'COPY "--from=localhost/bob/secret" /a /b', "COPY --from='localhost/bob/secret' /a /b",
    'RUN --mount="type=cache,target=/c" true', "ONBUILD COPY --from=localhost/bob/secret / /",
    "ARG X=1", "RUN echo \\\\", "\\", " \\", "`", "LABEL a=b \\", "  c=d",
    "RUN --network=host true", "\r",
]  # fmt: skip


def go(text):
    return [
        ((c.cmd or "").upper(), tuple(c.flags), c.start_line, c.end_line)
        for c in dockerfile.parse_string(text)
    ]


def ours(text):
    return [(i.cmd, i.flags, i.start_line, i.end_line) for i in recipe.parse(text)]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=10))
def test_the_same_instructions_and_flags_as_the_go_parser(parts):
    text = "\n".join(parts) + "\n"
    try:
        expected = go(text)
    except dockerfile.GoParseError:
        return  # the builder refuses it too
    assert ours(text) == expected, text


@pytest.mark.parametrize(
    "text",
    [
        # the spellings from the issue: each reads as an attack to the builder
        "FROM scratch\nRUN \\   \n  --mount=type=cache,target=/c true\n",
        "FROM scratch\nCOPY \\\n# comment\n  --from=localhost/bob/secret /a /b\n",
        "# escape=`\nFROM scratch\nRUN `\n  --mount=type=bind,from=localhost/bob/secret ls\n",
        "FROM scratch\nRUN \\\n\n--mount=type=secret,id=x true\n",
        'FROM scratch\nRUN --mount="type=bind,from=localhost/bob/secret" ls\n',
        "FROM scratch\nONBUILD COPY --from=localhost/bob/secret / /\n",
        "FROM scratch\nRUN --network=host true\n",
        "FROM $BASE\n",
        "FROM localhost/bob/secret\n",
        "FROM scratch\nRUN\u00a0--mount=type=cache,target=/c true\n",
        "FROM scratch\nRUN \\\x0b\n--mount=type=cache,target=/c true\n",
    ],
)
def test_attack_spellings_are_refused(tmp_path, text):
    # the Go parser sees the dangerous flag in each (where it reads the text at all);
    # a quoted "--from=..." first word is a file name to it, not a flag
    podman = FakePodman()
    podman.add_image("localhost/bob/secret:latest", 1002)
    settings_ = {"state_dir": str(tmp_path), "audit_log": str(tmp_path / "a.log")}
    app = cli.App(ALICE, config.from_dict(settings_), podman, str(tmp_path))
    with pytest.raises((Refused, NotFound, UsageError)):
        app.check_containerfile(text)


def test_a_plain_multi_stage_recipe_passes_and_gets_the_owner_arg(tmp_path):
    text = "FROM scratch AS base\nCOPY x /x\nFROM base\nCOPY --from=base /x /y\nRUN true\n"
    podman = FakePodman()
    app = cli.App(ALICE, config.from_dict({"state_dir": str(tmp_path)}), podman, str(tmp_path))
    app.check_containerfile(text)
    rewritten = recipe.with_owner_arg(text, recipe.parse(text))
    assert rewritten.splitlines() == [
        "FROM scratch AS base", "ARG IE_BUILD_OWNER", "COPY x /x", "FROM base",
        "ARG IE_BUILD_OWNER", "COPY --from=base /x /y", "RUN true",
    ]  # fmt: skip
    assert [i.cmd for i in recipe.parse(rewritten)] == [
        "FROM", "ARG", "COPY", "FROM", "ARG", "COPY", "RUN",
    ]  # fmt: skip


def test_an_invalid_escape_directive_is_refused():
    with pytest.raises(IeError):
        recipe.parse("# escape=x\nFROM scratch\n")
