"""Who is calling: only sudo says so.

``SUDO_UID`` is set by sudo itself and cannot be chosen by the caller; the
user name, home and groups are looked up from that UID in the password
database, never taken from arguments or the environment.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from typing import NamedTuple

from ie_common.errors import Refused, SetupError
from ie_common.i18n import _


# NamedTuple, not a dataclass, here and in the wrappers' other records:
# importing dataclasses costs a student's every command about 15 ms (issue 24).
class Caller(NamedTuple):
    uid: int
    gid: int
    name: str
    home: str
    groups: tuple[int, ...]

    @property
    def is_admin(self) -> bool:
        return self.uid == 0


def from_sudo(
    environ: Mapping[str, str], min_uid: int, euid: int | None = None, program: str = "ie-podman"
) -> Caller:
    """The caller sudo ran us for; root itself when run by root without sudo."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        raise SetupError(
            _("{program} must run as root", program=program),
            _("run it through sudo: sudo {program} COMMAND ...", program=program),
        )
    raw = environ.get("SUDO_UID")
    if raw is None:
        return _caller(0)
    if not raw.isdigit():
        raise SetupError(_("SUDO_UID={raw!r} is not a user ID", raw=raw))
    uid = int(raw)
    if uid == 0:
        return _caller(0)
    if uid < min_uid:
        raise Refused(
            _(
                "{program} is for user accounts (UID {min_uid} and up), not UID {uid}",
                program=program,
                min_uid=min_uid,
                uid=uid,
            ),
            _("system accounts use podman or virsh directly"),
        )
    return _caller(uid)


def _caller(uid: int) -> Caller:
    try:
        pw = pwd.getpwuid(uid)
    except KeyError as exc:
        raise SetupError(
            _("UID {uid} has no account on this host; ask the admins", uid=uid)
        ) from exc
    return Caller(
        uid=uid,
        gid=pw.pw_gid,
        name=pw.pw_name,
        home=pw.pw_dir,
        groups=tuple(os.getgrouplist(pw.pw_name, pw.pw_gid)),
    )


def subordinate_range(name: str, uid: int, path: str) -> tuple[int, int] | None:
    """``(start, count)`` of the caller's first range in /etc/subuid or /etc/subgid."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.strip().split(":")
                if len(parts) != 3 or parts[0] not in (name, str(uid)):
                    continue
                if parts[1].isdigit() and parts[2].isdigit():
                    return int(parts[1]), int(parts[2])
    except FileNotFoundError:
        return None
    return None


MAX_ID = 2**32 - 2  # 4294967295 is (uid_t) -1


def derived_range(uid: int, base: int, count: int, min_uid: int) -> tuple[int, int]:
    """``(start, count)`` of the subordinate IDs of ``uid``, by the podman
    role's formula ``base + (uid - min_uid) * count``: the same on every host,
    with no file and no list, for a student the directory created today.

    A UID at or above ``base`` would lie inside some student's range (and
    so could be reached from that student's containers): it gets none."""
    if uid < min_uid or uid >= base:
        raise Refused(
            _(
                "UID {uid} gets no subordinate IDs here (accounts need UIDs from "
                "{min_uid} below {base})",
                uid=uid,
                min_uid=min_uid,
                base=base,
            ),
            _("ask the admins"),
        )
    start = base + (uid - min_uid) * count
    if start + count - 1 > MAX_ID:
        raise Refused(_("the subordinate IDs of UID {uid} would pass the 32-bit ID space", uid=uid))
    return start, count
