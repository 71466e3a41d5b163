"""The user part of every name a wrapper makes.

Users are encoded so that the encoding never contains ``_`` (the user's own
``_``, ``-``, ``.`` and ``$`` are escaped as ``-u``, ``-d``, ``-p``, ``-s``):
``<encoded user>_<name>`` can always be split back at its first ``_``, so
no two (user, name) pairs give the same object name.
"""

from __future__ import annotations

import re

from ie_common.errors import UsageError
from ie_common.i18n import _

_ESCAPES = {"-": "-d", "_": "-u", ".": "-p", "$": "-s"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}

# A login name the wrappers serve: starts with a lower-case letter or digit.
USER_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\$?")
SEPARATOR = "_"


def encode_user(user: str) -> str:
    """The user part of every name; injective, and never contains ``_``."""
    if not USER_RE.fullmatch(user) or len(user) > 32:
        raise UsageError(
            _("the login name {user!r} cannot be used here", user=user),
            _("names must start with a lower-case letter or digit; ask the admins"),
        )
    return "".join(_ESCAPES.get(c, c) for c in user)


def decode_user(encoded: str) -> str:
    """The inverse of :func:`encode_user`."""
    out = []
    chars = iter(encoded)
    for c in chars:
        if c == "-":
            code = next(chars, "")
            if code not in _UNESCAPES:
                raise ValueError(f"not an encoded user name: {encoded!r}")
            out.append(_UNESCAPES[code])
        elif c == SEPARATOR:
            raise ValueError(f"not an encoded user name: {encoded!r}")
        else:
            out.append(c)
    return "".join(out)


def qualified(user: str, name: str) -> str:
    """``<encoded user>_<name>``; ``name`` must already be valid for the tool."""
    return encode_user(user) + SEPARATOR + name


def split_qualified(full: str) -> tuple[str, str]:
    """``(user, name)`` from a name made by :func:`qualified`."""
    user, sep, name = full.partition(SEPARATOR)
    if not sep:
        raise ValueError(f"not a qualified name: {full!r}")
    return decode_user(user), name
