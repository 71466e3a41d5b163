"""Subordinate UID/GID ranges (/etc/subuid, /etc/subgid) computed from UIDs.

Every user's range is a pure function of their UID, so it is the same on
every host without any shared state: ``start = base + (uid - min_uid) *
count``. Ranges of different users never overlap, and none reaches past
the 32-bit ID space.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"[a-z_][a-z0-9_.-]*\$?")
_MAX_ID = 2**32 - 2  # 4294967295 is (uid_t) -1


def subid_lines(
    users: Sequence[Mapping[str, Any]], base: int = 100000, count: int = 65536, min_uid: int = 1000
) -> list[str]:
    """``name:start:count`` for each ``{name, uid}``, sorted by UID."""
    if isinstance(users, (str, bytes)) or not isinstance(users, Sequence):
        raise AnsibleFilterError("subid_lines: expected a list of {name, uid} mappings")
    if base < 65536 or count < 65536:
        raise AnsibleFilterError(
            "subid_lines: base and count must be at least 65536 "
            "(IDs below 65536 belong to real accounts; a container needs 65536 IDs)"
        )
    lines: list[tuple[int, str]] = []
    seen_names: set[str] = set()
    seen_uids: set[int] = set()
    for user in users:
        if not isinstance(user, Mapping) or "name" not in user or "uid" not in user:
            raise AnsibleFilterError(f"subid_lines: {user!r} needs 'name' and 'uid'")
        name, uid = str(user["name"]), user["uid"]
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise AnsibleFilterError(f"subid_lines: the uid of {name!r} must be a number")
        if not _NAME.fullmatch(name):
            raise AnsibleFilterError(f"subid_lines: {name!r} is not a valid login name")
        if uid < min_uid:
            raise AnsibleFilterError(
                f"subid_lines: {name!r} has UID {uid} (below {min_uid}): "
                "system accounts get no range"
            )
        if name in seen_names or uid in seen_uids:
            raise AnsibleFilterError(f"subid_lines: {name!r} (UID {uid}) is listed twice")
        seen_names.add(name)
        seen_uids.add(uid)
        start = base + (uid - min_uid) * count
        if start + count - 1 > _MAX_ID:
            raise AnsibleFilterError(
                f"subid_lines: the range of {name!r} (UID {uid}) would pass the 32-bit ID space; "
                "lower the base or the count"
            )
        lines.append((uid, f"{name}:{start}:{count}"))
    return [line for _, line in sorted(lines)]


def subid_conflicts(text: str, managed: Sequence[str], base: int = 100000) -> list[str]:
    """The lines of an /etc/subuid or /etc/subgid ``text`` that reach into
    the formula's space (``base`` and above) and are not ``managed`` (the
    names the podman role writes): a range there could be a student's.
    Blank and malformed lines are left to the tools that read the file."""
    found = []
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        name, start, count = parts[0], int(parts[1]), int(parts[2])
        if name not in managed and count > 0 and start + count > base:
            found.append(line.strip())
    return found


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"subid_lines": subid_lines, "subid_conflicts": subid_conflicts}
