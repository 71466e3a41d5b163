"""The wrappers' messages in the student's language (issue 25).

Messages are gettext catalogues: ``locale/LANG/LC_MESSAGES/ie-cluster.po``
beside this file, compiled to ``.mo`` when ie.cluster.ie_wrapper installs
the program (and by the unit tests). English is the text in the code, and
the fallback for any language without a catalogue or any missing message.

The language comes from the caller's environment, which sudo passes on
(LC_ALL, LC_MESSAGES, LANG, and LANGUAGE when the locale is not C). Nothing
of it reaches a path: it is matched in full against a locale name and only
a language this package ships is used.

Messages are templates with named fields, ``_("UID {uid} has no account",
uid=uid)``, so a translation may put the fields in its own order. Texts
kept in module constants are marked with ``N_`` and translated where they
are shown.
"""

from __future__ import annotations

import gettext
import re
import sys
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "ie-cluster"
LOCALE_DIR = Path(__file__).with_name("locale")
# The languages with a catalogue here; any other locale gets English.
LANGUAGES = ("ja",)
_LOCALE_RE = re.compile(
    r"(?P<language>[a-z]{2,3})(?:_[A-Z]{2})?(?:\.[A-Za-z0-9_-]{1,20})?(?:@[A-Za-z0-9]{1,20})?"
)
# Text a terminal must be able to show for the Japanese messages.
SAMPLE = "\u65e5\u672c\u8a9e\u3001\uff08\uff09"
_ENGLISH = gettext.NullTranslations()
_current: gettext.NullTranslations = _ENGLISH


def language(environ: Mapping[str, str]) -> str | None:
    """The shipped language the caller's locale asks for, or None (English).

    As gettext does: the locale is the first of LC_ALL, LC_MESSAGES and LANG
    that is set; under C or POSIX it is English, whatever LANGUAGE says;
    otherwise LANGUAGE's list (``ja:en``) comes before the locale."""
    locale = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "")
    if not locale or locale.split(".")[0] in ("C", "POSIX"):
        return None
    wanted = [*environ.get("LANGUAGE", "").split(":"), locale]
    for name in wanted:
        match = _LOCALE_RE.fullmatch(name)
        if match and match["language"] in LANGUAGES:
            return match["language"]
        if match and match["language"] == "en":
            return None
    return None


def use(lang: str | None, locale_dir: Path | None = None) -> str | None:
    """Translate from now on into ``lang`` (None: English). Returns the
    language in use: None where its catalogue is not installed."""
    global _current
    _current = _ENGLISH
    if lang in LANGUAGES:
        try:
            _current = gettext.translation(DOMAIN, locale_dir or LOCALE_DIR, languages=[lang])
        except OSError:
            return None
        return lang
    return None


def setup(environ: Mapping[str, str]) -> str | None:
    """Pick the caller's language (``language``) and use it, where the
    terminal's encoding can show it (a Latin-1 locale with LANGUAGE=ja gets
    English, not an encoding error)."""
    lang = language(environ)
    if lang is not None and not all(_shows(stream) for stream in (sys.stdout, sys.stderr)):
        lang = None
    return use(lang)


def _shows(stream: object) -> bool:
    try:
        SAMPLE.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _(msgid: str, /, **fields: object) -> str:
    """``msgid`` in the language in use, its ``{fields}`` filled in (an
    empty text stays empty: gettext would give the catalogue's header)."""
    if not msgid:
        return msgid
    text = _current.gettext(msgid)
    return text.format(**fields) if fields else text


def N_(msgid: str, /) -> str:  # gettext's name for "translated later"
    """Mark a text kept in a constant for the catalogue; ``_`` translates
    it where it is shown."""
    return msgid


def plain(msgid: str, /) -> str:
    """A %-style message (argparse's own) in the language in use."""
    return _current.gettext(msgid)


def plain_ngettext(singular: str, plural: str, n: int, /) -> str:
    return _current.ngettext(singular, plural, n)
