"""The base role's local admins, read in one shell command on a re-run.

Creating the admin group, the admin accounts and their SSH keys takes three
modules on every host (``group``, ``user``, ``authorized_key``), about 3 s
each over the 9 lab hosts even when nothing is to change. ``admins_probe``
gives the argv of one shell command that reads what those modules would
look at; ``admins_in_place`` says from its answer whether all of it is
already as the role asks. Only then are the three tasks skipped: anything
missing, different, or not understood runs them, and they do the work.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

# $1 the group, then the accounts. For each: its /etc/passwd line, the first
# character of its /etc/shadow password (``!``: locked), the type, owner and
# mode of its home, ~/.ssh and ~/.ssh/authorized_keys (not following a
# link), and the keys file in base64 when it is a regular file.
SCRIPT = r"""
line() { awk -F: -v n="$1" '$1 == n {print; exit}' "$2"; }
g=$1; shift
echo "G $(line "$g" /etc/group)"
for u; do
  p=$(line "$u" /etc/passwd)
  echo "U $u"
  echo "P $p"
  echo "S $(line "$u" /etc/shadow | cut -d: -f2 | cut -c1)"
  h=$(printf %s "$p" | cut -d: -f6)
  [ -n "$h" ] || continue
  for f in "$h" "$h/.ssh" "$h/.ssh/authorized_keys"; do
    echo "F $(LC_ALL=C stat -c '%F:%u:%a' -- "$f" 2>/dev/null)"
  done
  k=$h/.ssh/authorized_keys
  if [ -f "$k" ] && [ ! -L "$k" ]; then echo "K $(base64 -w 0 -- "$k")"; fi
done
"""


def admins_probe(users: Sequence[Mapping[str, Any]], group: str) -> list[str]:
    """The argv of ie.cluster.probe that reads ``group`` and ``users``."""
    return ["sh", "-c", SCRIPT, "sh", str(group), *(str(u["name"]) for u in users)]


def _records(stdout: str) -> tuple[str | None, dict[str, dict[str, Any]]]:
    """The group's line and, per account, its P, S, F (a list) and K lines."""
    group = None
    accounts: dict[str, dict[str, Any]] = {}
    current = None
    for raw in stdout.split("\n"):
        tag, _, value = raw.partition(" ")
        if tag == "G":
            group = value
        elif tag == "U":
            current = accounts.setdefault(value, {"F": []})
        elif tag in ("P", "S", "K") and current is not None:
            current[tag] = value
        elif tag == "F" and current is not None:
            current["F"].append(value)
    return group, accounts


def _keys_file(record: Mapping[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(record.get("K", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _account_in_place(
    user: Mapping[str, Any], record: Mapping[str, Any] | None, home_root: str
) -> bool:
    if record is None:
        return False
    name, uid = str(user["name"]), str(user["uid"])
    home = f"{home_root}/{name}"
    passwd = record.get("P", "").split(":")
    if len(passwd) != 7 or passwd[0] != name or passwd[2] != uid or passwd[5] != home:
        return False
    if passwd[6] != user.get("shell", "/bin/bash") or record.get("S") != "!":
        return False
    if len(record["F"]) != 3:
        return False
    home_dir, ssh_dir, keys = record["F"]
    if not home_dir.startswith("directory:") or ssh_dir != f"directory:{uid}:700":
        return False
    if keys not in (f"regular file:{uid}:600", f"regular empty file:{uid}:600"):
        return False
    wanted = "".join(f"{key}\n" for key in user.get("ssh_authorized_keys") or [])
    return _keys_file(record) == wanted.encode()


def admins_in_place(
    stdout: str,
    users: Sequence[Mapping[str, Any]],
    group: str,
    gid: int,
    home_root: str,
) -> bool:
    """Would the base role's group, user and authorized_key tasks change
    nothing, ``admins_probe`` having answered ``stdout``?

    True only when: ``group`` has ``gid`` in /etc/group and lists every
    account; each account is in /etc/passwd with its UID, its home under
    ``home_root`` and its shell (``/bin/bash`` unless given), is locked,
    has its home, a ``~/.ssh`` it owns with mode 700, and an
    ``authorized_keys`` (a regular file, not a link) it owns with mode 600
    that holds exactly its keys, one a line, as authorized_key writes
    them."""
    line, accounts = _records(stdout or "")
    fields = (line or "").split(":")
    if len(fields) != 4 or fields[0] != str(group) or fields[2] != str(gid):
        return False
    members = set(fields[3].split(",")) if fields[3] else set()
    if any(str(u["name"]) not in members for u in users):
        return False
    return all(
        _account_in_place(user, accounts.get(str(user["name"])), str(home_root).rstrip("/"))
        for user in users
    )


class FilterModule:
    def filters(self):
        return {"admins_probe": admins_probe, "admins_in_place": admins_in_place}
