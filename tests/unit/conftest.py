"""Helpers shared by the unit tests."""

from __future__ import annotations

import gettext
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ie_common import i18n

LOCALE_SOURCE = Path(__file__).resolve().parents[2] / "src" / "ie_common" / "locale"
# The wrappers' tests, where every message shown is checked against the
# Japanese catalogue (every_message_translated).
WRAPPER_TESTS = frozenset({"ie_podman", "ie_virsh", "ie_common"})


@pytest.fixture
def in_parallel() -> Callable[[Callable[[int], object], int], list[object]]:
    """``in_parallel(fn, n)``: ``fn(0) .. fn(n-1)`` in n threads at once; each
    result, or the exception it raised."""

    def run(fn: Callable[[int], object], n: int) -> list[object]:
        results: list[object] = []
        barrier = threading.Barrier(n)

        def one(i: int) -> None:
            barrier.wait()
            try:
                results.append(fn(i))
            except Exception as exc:
                results.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    return run


@pytest.fixture
def in_deleted_directory(tmp_path):
    """The test runs in a working directory that has been deleted (as a
    student's shell can be), and is back where it was afterwards."""
    gone = tmp_path / "gone"
    gone.mkdir()
    here = os.getcwd()
    os.chdir(gone)
    gone.rmdir()
    try:
        yield
    finally:
        os.chdir(here)


@pytest.fixture(scope="session")
def compiled_locale(tmp_path_factory) -> Path:
    """The source tree's catalogues compiled with ``msgfmt --check``, as
    ie.cluster.ie_wrapper compiles them at install: a locale directory."""
    out = tmp_path_factory.mktemp("locale")
    for po in sorted(LOCALE_SOURCE.glob("*/LC_MESSAGES/*.po")):
        target = out / po.relative_to(LOCALE_SOURCE).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["msgfmt", "--check", "-o", str(target), str(po)], check=True)
    return out


class Checked(str):
    """An English message that also fills in its Japanese translation with
    the same fields, and records it where they do not fit."""

    def __new__(cls, english: str, japanese: str, bad: list) -> Checked:
        text = super().__new__(cls, english)
        text.japanese, text.bad = japanese, bad
        return text

    def format(self, *args: object, **fields: object) -> str:
        try:
            self.japanese.format(*args, **fields)
        except (KeyError, IndexError, ValueError) as exc:
            self.bad.append((str(self), self.japanese, repr(exc)))
        return str(self).format(*args, **fields)

    def __mod__(self, values: object) -> str:  # argparse's %-style messages
        try:
            self.japanese % values
        except (KeyError, TypeError, ValueError) as exc:
            self.bad.append((str(self), self.japanese, repr(exc)))
        return str(self) % values


@pytest.fixture(scope="session")
def japanese_catalogue(compiled_locale) -> dict[str, str]:
    """The compiled Japanese catalogue, message -> translation, read once."""
    with open(compiled_locale / "ja" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


class CheckedEnglish(gettext.NullTranslations):
    """English, as the code has it (the tests' assertions read English),
    and each message looked up in the Japanese catalogue on the way."""

    def __init__(self, catalogue: dict[str, str]) -> None:
        super().__init__()
        self.catalogue = catalogue
        self.missing: list[str] = []
        self.bad: list[tuple] = []

    def gettext(self, message: str) -> str:
        if message not in self.catalogue:
            self.missing.append(message)
            return message
        return Checked(message, self.catalogue[message], self.bad)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


@pytest.fixture(autouse=True)
def every_message_translated(request, monkeypatch, compiled_locale, japanese_catalogue):
    """In the wrappers' tests, every message the code shows (each refusal,
    hint and help text the tests reach) must have a Japanese translation
    that takes the same fields: a test fails on a message without one.
    Tests marked ``real_language`` choose their language themselves."""
    if request.node.path.parent.name not in WRAPPER_TESTS and request.node.path.name not in (
        "test_help_layout.py",
    ):
        yield
        return
    if request.node.get_closest_marker("real_language"):
        monkeypatch.setattr(i18n, "LOCALE_DIR", compiled_locale)
        yield
        i18n.use(None)
        return
    checked = CheckedEnglish(japanese_catalogue)
    monkeypatch.setattr(i18n, "_current", checked)
    monkeypatch.setattr(i18n, "use", lambda lang, locale_dir=None: None)
    yield
    missing = sorted(set(checked.missing))
    assert not missing, (
        f"messages without a Japanese translation: {missing}; run tools/i18n/update-po "
        "and translate them in src/ie_common/locale/ja/LC_MESSAGES/ie-cluster.po"
    )
    assert not checked.bad, f"translations whose fields differ from the message's: {checked.bad}"
