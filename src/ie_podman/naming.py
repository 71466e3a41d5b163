"""Names that no two users can ever share.

A container's Podman name is ``<encoded user>_<name>``
(:mod:`ie_common.naming`): the first ``_`` always ends the user part, so
``(user, name)`` can be read back from the Podman name and the mapping is
injective. Images live under ``localhost/<encoded user>/``; the
registry namespace is the same encoded user name.

Names are also checked against Podman's own grammar, so what reaches Podman
is always a plain name, never an option or a path.
"""

from __future__ import annotations

import re

from ie_common.errors import UsageError
from ie_common.i18n import _
from ie_common.naming import encode_user, qualified, split_qualified

# What a student may call a container: Podman's grammar, at most 63 chars.
CONTAINER_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
# One image path component (lower case, single separators), and a tag.
IMAGE_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?"
# A name of the student's own image: name[:tag].
PLAIN_IMAGE_RE = re.compile(rf"{_COMPONENT}(?::{_TAG})?")
# Any image reference (the distribution grammar): never an option, a path or two lines.
REFERENCE_RE = re.compile(
    rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@sha256:[0-9a-f]{{64}})?"
)


def check_container_name(name: str) -> str:
    if not CONTAINER_RE.fullmatch(name):
        raise UsageError(
            _("{name!r} is not a valid container name", name=name),
            _("use letters, digits, '_', '.' and '-', starting with a letter or digit"),
        )
    return name


def container_name(user: str, name: str) -> str:
    """The Podman name of the caller's container ``name``."""
    return qualified(user, check_container_name(name))


def split_container_name(full: str) -> tuple[str, str]:
    """``(user, name)`` from a Podman name made by :func:`container_name`."""
    return split_qualified(full)


def user_namespace(user: str) -> str:
    """The image/registry namespace of ``user``: a valid image path component."""
    encoded = encode_user(user)
    if not IMAGE_COMPONENT_RE.fullmatch(encoded):
        raise UsageError(_("the login name {user!r} cannot name images", user=user))
    return encoded


def parse_image_name(text: str) -> tuple[str, str]:
    """``(name, tag)`` of an image a student names, e.g. ``web`` or ``web:1.0``.

    Only a plain name: no registry, no namespace, no digest. ie-podman puts
    it in the caller's namespace.
    """
    name, sep, tag = text.partition(":")
    tag = tag if sep else "latest"
    if "/" in name or "@" in text or not IMAGE_COMPONENT_RE.fullmatch(name) or len(name) > 128:
        raise UsageError(
            _("{text!r} is not an image name ie-podman accepts", text=text),
            _(
                "give a plain name like 'myimage' or 'myimage:1.0' (lower case; "
                "ie-podman keeps it in your own namespace)"
            ),
        )
    if not TAG_RE.fullmatch(tag):
        raise UsageError(_("{tag!r} is not a valid image tag", tag=tag))
    return name, tag


def image_ref(user: str, text: str) -> str:
    """The local reference of the caller's image ``text`` (``name[:tag]``)."""
    name, tag = parse_image_name(text)
    return f"localhost/{user_namespace(user)}/{name}:{tag}"


def owned_image_prefix(user: str) -> str:
    return f"localhost/{user_namespace(user)}/"


def display_image(user: str, ref: str) -> str:
    """How the caller sees their own image: without the namespace."""
    prefix = owned_image_prefix(user)
    return ref[len(prefix) :] if ref.startswith(prefix) else ref
