"""The wrappers' language (issue 25): which language a caller's locale
picks, and a catalogue in step with the code."""

from __future__ import annotations

import gettext
import subprocess
from pathlib import Path

import pytest

from ie_common import helptext, i18n

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "src" / "ie_common" / "locale" / "ja" / "LC_MESSAGES" / "ie-cluster.po"


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "ja_JP.utf8"}, "ja"),
        ({"LANG": "ja"}, "ja"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, None),  # LC_ALL wins, as in gettext
        ({"LC_ALL": "C.UTF-8", "LANGUAGE": "ja"}, None),  # LANGUAGE is ignored under C
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "ja:en"}, "ja"),
        ({"LANG": "ja_JP.UTF-8", "LANGUAGE": "en"}, None),
        ({"LANG": "de_DE.UTF-8"}, None),  # no catalogue: English
        ({}, None),
        # nothing of the caller's reaches a path: these are not locale names
        ({"LANG": "../../../home/alice/ja"}, None),
        ({"LANG": "ja_JP.UTF-8", "LANGUAGE": "../../tmp/x:ja/../.."}, "ja"),
        ({"LANG": "ja_JP.UTF-8\n"}, None),
    ],
)
def test_the_callers_locale_picks_a_shipped_language_or_english(environ, language):
    assert i18n.language(environ) == language


@pytest.mark.real_language
def test_a_missing_catalogue_falls_back_to_english(tmp_path):
    assert i18n.use("ja", tmp_path) is None
    assert i18n._("you cannot read {path}", path="x") == "you cannot read x"


@pytest.mark.real_language
def test_japanese_fills_in_the_same_fields(compiled_locale):
    assert i18n.use("ja", compiled_locale) == "ja"
    assert i18n._("you cannot read {path}", path="/x") == "/x を読む権限がありません"
    assert i18n._("") == ""  # not the catalogue's header
    assert i18n.use(None) is None
    assert i18n._("you cannot read {path}", path="/x") == "you cannot read /x"


def test_the_catalogue_holds_every_message_of_the_code_and_no_other(tmp_path):
    """Every message marked in src/ has a translation that is not fuzzy, and
    the catalogue keeps none the code no longer has (tools/i18n/update-po)."""
    pot = tmp_path / "ie-cluster.pot"
    subprocess.run([str(ROOT / "tools/i18n/update-po"), "--pot", str(pot)], check=True)
    english = tmp_path / "en.po"
    subprocess.run(["msgen", "--output-file", str(english), str(pot)], check=True)

    def ids(po: Path) -> set[str]:
        mo = po.with_suffix(".mo")
        subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
        with open(mo, "rb") as handle:
            return set(gettext.GNUTranslations(handle)._catalog) - {""}  # type: ignore[attr-defined]

    wanted = ids(english)
    japanese = tmp_path / "ja.po"
    japanese.write_bytes(PO.read_bytes())
    have = ids(japanese)
    hint = "run tools/i18n/update-po and translate in " + str(PO.relative_to(ROOT))
    assert not wanted - have, f"untranslated or fuzzy: {sorted(wanted - have)}; {hint}"
    assert not have - wanted, f"no longer in the code: {sorted(have - wanted)}; {hint}"


def test_help_text_wraps_japanese_by_terminal_columns():
    text = "どのコマンドも --help を受け付けます。" * 4
    lines = helptext.wrap(text, 40)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(helptext.columns(line) <= 40 for line in lines)
    assert not any(line.startswith(("。", "、")) for line in lines)
    english = "one two three " * 10
    assert helptext.wrap(english, 20) == [line.rstrip() for line in helptext.wrap(english, 20)]
    assert max(len(line) for line in helptext.wrap(english, 20)) <= 20


@pytest.mark.real_language
@pytest.mark.parametrize(
    ("encoding", "language"), [("utf-8", "ja"), ("euc_jp", "ja"), ("latin-1", None)]
)
def test_japanese_only_where_the_terminal_can_show_it(
    compiled_locale, monkeypatch, encoding, language
):
    import io
    import sys

    for name in ("stdout", "stderr"):
        monkeypatch.setattr(sys, name, io.TextIOWrapper(io.BytesIO(), encoding=encoding))
    assert i18n.setup({"LC_ALL": "de_DE.ISO-8859-1", "LANGUAGE": "ja"}) == language
    i18n.use(None)
