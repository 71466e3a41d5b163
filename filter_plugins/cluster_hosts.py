"""Filters that turn the inventory into cluster-wide host lists.

They read only inventory variables (never gathered facts), so a run limited
to one host renders exactly what a full run renders.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

# RFC 1123 host label; host names in /etc/hosts are one or more of these.
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _valid_hostname(name: str) -> bool:
    return bool(name) and len(name) <= 253 and all(_LABEL.match(p) for p in name.split("."))


def cluster_hosts(
    hosts: Sequence[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    domain: str = "",
    address_var: str = "cluster_address",
) -> list[dict[str, Any]]:
    """Return ``[{name, address, aliases}]`` for ``hosts``, sorted by address.

    ``address_var`` names the inventory variable holding each host's cluster
    address. With ``domain`` the fully qualified name comes first and the
    short name is an alias. Duplicate names or addresses, invalid addresses
    and invalid names raise AnsibleFilterError naming the host.
    """
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Sequence):
        raise AnsibleFilterError(f"cluster_hosts: expected a list of host names, got {hosts!r}")
    if domain and not _valid_hostname(domain):
        raise AnsibleFilterError(f"cluster_hosts: {domain!r} is not a valid DNS domain")

    entries: list[dict[str, Any]] = []
    seen_addresses: dict[str, str] = {}
    for host in dict.fromkeys(hosts):  # keep order, drop repeats (host in several groups)
        if not _valid_hostname(str(host)):
            raise AnsibleFilterError(f"cluster_hosts: {host!r} is not a valid host name")
        hvars = hostvars.get(host)
        if hvars is None:
            raise AnsibleFilterError(f"cluster_hosts: host {host} is not in the inventory")
        raw = hvars.get(address_var)
        if raw in (None, ""):
            raise AnsibleFilterError(
                f"cluster_hosts: host {host} has no {address_var}; set it in the inventory "
                "(host_vars or the hosts file)"
            )
        try:
            address = ipaddress.ip_address(str(raw))
        except ValueError:
            raise AnsibleFilterError(
                f"cluster_hosts: host {host} has {address_var}={raw!r}, which is not an IP address"
            ) from None
        key = str(address)
        if key in seen_addresses:
            raise AnsibleFilterError(
                f"cluster_hosts: hosts {seen_addresses[key]} and {host} have the same "
                f"{address_var} {key}"
            )
        seen_addresses[key] = host
        short = str(host).split(".")[0]
        if domain and "." not in str(host):
            name, aliases = f"{host}.{domain}", [short]
        else:
            name, aliases = str(host), ([short] if short != str(host) else [])
        entries.append({"name": name, "address": key, "aliases": aliases, "_sort": address})

    entries.sort(key=lambda e: (e["_sort"].version, e["_sort"]))
    for entry in entries:
        del entry["_sort"]
    return entries


def hosts_file_lines(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Format ``cluster_hosts`` entries as /etc/hosts lines."""
    lines = []
    for entry in entries:
        try:
            names = [entry["name"], *entry.get("aliases", [])]
            lines.append(f"{entry['address']}\t{' '.join(names)}")
        except (KeyError, TypeError):
            raise AnsibleFilterError(
                f"hosts_file_lines: each entry needs 'name' and 'address', got {entry!r}"
            ) from None
    return lines


# A name in /etc/hosts as the base role's preflight takes it.
_ENTRY_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


def _plain_address(value: Any) -> bool:
    """An IPv4 or IPv6 address written as Python writes it back (no prefix,
    no zone, no leading zeros)."""
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return str(address) == value and getattr(address, "scope_id", None) is None


def hosts_entries_problems(
    entries: Sequence[Any], variable: str = "base_cluster_hosts"
) -> list[str]:
    """What is wrong with /etc/hosts ``entries`` (``[{name, address}]``),
    one sentence each: an entry without a usable name or a plain address,
    and names or addresses that appear twice. Empty when nothing is.

    The base role's preflight asserts that this is empty, in one task: the
    list is built from every host's inventory variables, and each use of it
    in a task builds it again."""
    if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
        return [f"{variable} must be a list of {{name, address}}, not {entries!r}"]
    problems = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        address = entry.get("address") if isinstance(entry, Mapping) else None
        if not (isinstance(name, str) and _ENTRY_NAME.fullmatch(name) and _plain_address(address)):
            problems.append(
                f"{variable} entry {entry} is not valid: it needs a host name (letters, digits,"
                " dots, dashes) and a plain IPv4/IPv6 address. Check cluster_address of that"
                " host in the inventory."
            )
    if problems:
        return problems
    values = [e["name"] for e in entries] + [e["address"] for e in entries]
    twice = list(dict.fromkeys(v for v in values if values.count(v) > 1))
    if twice:
        problems.append(
            f"{variable} repeats a name or an address ({' '.join(twice)}): two hosts in the"
            " inventory share a cluster_address or a name."
        )
    return problems


class FilterModule:
    def filters(self):
        return {
            "cluster_hosts": cluster_hosts,
            "hosts_entries_problems": hosts_entries_problems,
            "hosts_file_lines": hosts_file_lines,
        }
