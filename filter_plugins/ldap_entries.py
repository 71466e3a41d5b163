"""The lab directory's entries, read in one ldapsearch on a re-run.

The ldap_server role makes its entries with community.general's ldap_entry
(created when missing) and ldap_attrs (the managed attributes kept exact),
one module run per entry: five loops, about 12 s of a re-run on the lab's
directory host when nothing is to change. ``ldap_entries_in_place`` says,
from one ``ldapsearch -LLL`` of the tree, whether every entry exists and
every managed attribute already holds exactly the values listed; only then
are those tasks skipped. Anything missing, different or not understood runs
them, and they do the work.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

# What ldapsearch is asked for: the attributes ldap_attrs keeps exact.
ATTRIBUTES = ("cn", "gidNumber", "memberUid", "uidNumber", "homeDirectory", "loginShell")


def parse_ldif(text: str) -> dict[str, dict[str, set[str]]] | None:
    """``{dn: {attribute: {values}}}`` from ldapsearch -LLL's LDIF (lines
    folded or not, ``attr:: base64`` values); None when not understood."""
    entries: dict[str, dict[str, set[str]]] = {}
    lines: list[str] = []
    for raw in text.split("\n"):
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]  # a folded line goes on
        else:
            lines.append(raw)
    current = None
    for line in lines:
        if not line.strip():
            current = None
            continue
        if line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return None
        if value.startswith(":"):
            try:
                value = base64.b64decode(value[1:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return None
        elif value.startswith("<"):
            return None  # a value by URL: not something ldapsearch prints here
        else:
            value = value[1:] if value.startswith(" ") else value
        if name == "dn":
            current = entries.setdefault(value, {})
        elif current is None:
            return None
        else:
            current.setdefault(name, set()).add(value)
    return entries


def ldap_entries_in_place(
    ldif: str,
    base_dn: str,
    bind_name: str,
    groups: Sequence[Mapping[str, Any]],
    users: Sequence[Mapping[str, Any]],
    home_root: str,
) -> bool:
    """Would the ldap_server role's entry tasks change nothing, the tree
    being ``ldif``? Each organisational unit, the bind account, each group
    and each account exists; each group's gidNumber and memberUid and each
    account's cn, uidNumber, gidNumber, homeDirectory and loginShell are
    exactly the values the tasks give (values compared as written)."""
    tree = parse_ldif(ldif or "")
    if tree is None:
        return False
    wanted: dict[str, dict[str, set[str]] | None] = {
        f"ou={ou},{base_dn}": None for ou in ("people", "groups", "services")
    }
    wanted[f"cn={bind_name},ou=services,{base_dn}"] = None
    for group in groups:
        members = {str(u["name"]) for u in users if "groups" in u and group["name"] in u["groups"]}
        wanted[f"cn={group['name']},ou=groups,{base_dn}"] = {
            "gidNumber": {str(group["gid"])},
            "memberUid": members,
        }
    for user in users:
        name = str(user["name"])
        wanted[f"uid={name},ou=people,{base_dn}"] = {
            "cn": {str(user.get("gecos", name))},
            "uidNumber": {str(user["uid"])},
            "gidNumber": {str(user["gid"])},
            "homeDirectory": {f"{home_root}/{name}"},
            "loginShell": {str(user.get("shell", "/bin/bash"))},
        }
    for dn, attributes in wanted.items():
        if dn not in tree:
            return False
        for attribute, values in (attributes or {}).items():
            if tree[dn].get(attribute, set()) != values:
                return False
    return True


class FilterModule:
    def filters(self):
        return {"ldap_entries_in_place": ldap_entries_in_place}
