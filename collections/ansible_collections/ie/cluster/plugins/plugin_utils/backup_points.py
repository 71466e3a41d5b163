"""What both ends of a backup point need (the rsnapshot and rsnapshot_source
roles, through the backup_points filter), and the rule a point's path and
dest follow (the filter and the preflight's backup checks share it).

One key per point, not per server: sshd gives a key one forced command, and
rrsync one directory, so a point's key can read its tree and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

_DEST = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/")
_PATH = re.compile(r"/([^ \t\"]*/)?")


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a point's path (absolute, ending in /), or None."""
    if _PATH.fullmatch(path) and ".." not in path.split("/"):
        return None
    return "the path must be absolute and end with a slash, without '..'."


def dest_problem(dest: str) -> str | None:
    """Why ``dest`` cannot be a point's dest (relative, ending in /), or None."""
    if _DEST.fullmatch(dest) and ".." not in dest.split("/"):
        return None
    return f"dest {dest!r} must be relative and end with a slash, without '..'."


def backup_points(backups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each of rsnapshot_backups with ``key`` (ie-backup-<dest>_ed25519, the
    dest's slashes as dashes), ``slug`` (the dest so written, the key's
    comment ie-backup-<slug>@server) and ``tree`` (the path without its
    trailing slash)."""
    if isinstance(backups, (str, bytes)) or not isinstance(backups, Sequence):
        raise AnsibleFilterError("backup_points: expected the list rsnapshot_backups")
    points = []
    for entry in backups:
        dest, path = str(entry.get("dest", "")), str(entry.get("path", ""))
        problem = dest_problem(dest) or path_problem(path)
        if problem:
            raise AnsibleFilterError(f"backup_points ({path} -> {dest}): {problem}")
        slug = dest.rstrip("/").replace("/", "-")
        points.append(
            {
                **entry,
                "slug": slug,
                "key": f"ie-backup-{slug}_ed25519",
                "tree": path.rstrip("/") or "/",
            }
        )
    return points
