"""What both ends of a backup point need (the rsnapshot and rsnapshot_source
roles): the name of the point's own key pair on the backup server, and the
tree that key may read on the source (rrsync's directory).

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
        if not _DEST.fullmatch(dest) or ".." in dest.split("/"):
            raise AnsibleFilterError(
                f"backup_points: dest {dest!r} is not a relative directory ending in /"
            )
        if not _PATH.fullmatch(path) or ".." in path.split("/"):
            raise AnsibleFilterError(
                f"backup_points: path {path!r} is not an absolute directory ending in /"
            )
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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"backup_points": backup_points}
