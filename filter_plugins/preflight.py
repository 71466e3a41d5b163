"""The preflight's checks: the whole inventory at once, before any host changes.

playbooks/preflight.yml, the first play of site.yml, reads the variables
below from every host of the inventory (``preflight_view``), checks their
types against the roles' own argument specs (``preflight_argument_spec``,
for ``validate_argument_spec``), then checks how they fit together
(``preflight_problems``): groups, addresses, quotas and limits, Slurm, Ceph
and backups. Each problem names the variable, the host or group, and the
fix. The roles' own asserts stay, as a second line. The checks of the services'
values are in the collection's plugin_utils/preflight_checks.py.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from ansible_collections.ie.cluster.plugins.plugin_utils.config_extra import (
    ceph_settings_problems,
    ini_extra_problems,
    slurm_extra_problems,
)
from ansible_collections.ie.cluster.plugins.plugin_utils.preflight_checks import (
    LONG_ENOUGH,
    NOT_PEM,
    PEM,
    TOO_SHORT,
    check_backups,
    check_ceph,
    check_console,
    check_limits,
    check_monitoring,
    check_registry,
    check_slurm,
    members,
)
from ansible_collections.ie.cluster.plugins.plugin_utils.slurm_templates import check_templates

# What the checks read, per host (where the inventory sets it).
VARIABLES = (
    "cluster_address",
    "ceph_public_network",
    "ceph_fsid",
    "ceph_cluster_settings",
    "ceph_profile_settings",
    "slurm_controller_config_extra",
    "identity_sssd_config_extra",
    "ie_podman_subnet",
    "ie_podman_gateway",
    "ie_podman_pool_start",
    "ie_podman_pool_end",
    "ie_podman_quota",
    "ie_podman_user_quotas",
    "ie_podman_max_upload_mib",
    "ie_podman_max_sif_mib",
    "ie_virsh_limits",
    "ie_virsh_user_limits",
    "ie_virsh_host_limits",
    "slurm_node_hardware",
    "slurm_gpu_type",
    "slurm_gpu_job_types",
    "slurm_controller_qos_tiers",
    "slurm_controller_default_time",
    "slurm_controller_max_time",
    "slurm_controller_def_mem_per_cpu",
    "slurm_templates",
    "ie_podman_registry",
    "rsnapshot_backups",
    "rsnapshot_levels",
    "registry_tls_mode",
    "registry_tls_key",
    "registry_tls_cert",
    "registry_tls_ca",
    "ie_console_tls_mode",
    "ie_console_tls_key",
    "ie_console_tls_cert",
    "alertmanager_email_to",
    "alertmanager_smarthost",
    "monitoring_scrape_password",
)
# Secrets are never kept: only whether each has the shape it needs.
SECRETS = {
    "registry_tls_key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "registry_tls_cert": re.compile(r"-----BEGIN CERTIFICATE-----"),
    "registry_tls_ca": re.compile(r"-----BEGIN CERTIFICATE-----"),
    "ie_console_tls_key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "ie_console_tls_cert": re.compile(r"-----BEGIN CERTIFICATE-----"),
}
# Passwords: only whether each is long enough.
PASSWORDS = {"monitoring_scrape_password": 16}

# A server is one kind of server.
EXCLUSIVE = ("general_servers", "storage_servers", "backup_server", "registry", "ldap_servers")
EXACTLY_ONE = ("slurm_controller", "slurmdbd", "backup_server")
# Prometheus: the node exporters register with the first host of the group.
AT_MOST_ONE = ("monitoring",)
AT_LEAST_ONE = ("general_servers", "ceph_mon", "ceph_mgr", "ceph_mds", "ceph_osd", "slurm_compute")


def _plain(value: Any) -> Any:
    """A templated value as plain Python (mappings, lists, scalars)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def preflight_view(hostvars: Mapping, hosts: Sequence[str]) -> dict:
    """``{hosts: {host: {var: value}}, errors: [...]}`` for every host: each
    variable of VARIABLES that the host has, templated; a variable that cannot
    be templated is an error naming it and the host."""
    view: dict[str, dict] = {}
    errors: list[str] = []
    for host in hosts:
        hvars = hostvars[host]
        view[host] = {}
        for name in VARIABLES:
            if name not in hvars:
                continue
            try:
                value = _plain(hvars[name])
                if name in SECRETS:
                    value = PEM if SECRETS[name].search(str(value)) else NOT_PEM
                elif name in PASSWORDS:
                    value = LONG_ENOUGH if len(str(value)) >= PASSWORDS[name] else TOO_SHORT
                view[host][name] = value
            except Exception as err:
                errors.append(f"{name} (host {host}): cannot be evaluated: {err}")
    return {"hosts": view, "errors": errors}


def preflight_argument_spec(names: Sequence[str], root: str | None = None) -> dict:
    """The roles' argument specs (roles/*/meta/argument_specs.yml under
    ``root``, by default this repository's) of ``names``, without ``required``
    (the roles' defaults and the plays give what the inventory leaves out)."""

    def loosen(spec: dict) -> dict:
        spec = {k: v for k, v in spec.items() if k not in ("required", "description")}
        if isinstance(spec.get("options"), Mapping):
            spec["options"] = {k: loosen(v) for k, v in spec["options"].items()}
        return spec

    found: dict[str, dict] = {}
    base = Path(root) if root else Path(__file__).resolve().parents[1]
    for path in sorted(base.glob("roles/*/meta/argument_specs.yml")):
        entry = (yaml.safe_load(path.read_text()) or {}).get("argument_specs", {}).get("main", {})
        for name, spec in (entry.get("options") or {}).items():
            if name in names and name not in found:
                found[name] = loosen(spec)
    return found


def check_groups(groups: Mapping) -> list[str]:
    problems = []
    for a, b in itertools.combinations(EXCLUSIVE, 2):
        for host in sorted(set(members(groups, a)) & set(members(groups, b))):
            problems.append(
                f"hosts.yml: {host} is in both {a} and {b}, which exclude each other "
                "(a server is one kind of server). Keep it in one of them."
            )
    for name in EXACTLY_ONE:
        hosts = members(groups, name)
        if len(hosts) != 1:
            problems.append(
                f"group {name}: has {len(hosts)} hosts ({', '.join(hosts) or 'none'}); "
                "it takes exactly one. Put one host in it (hosts.yml)."
            )
    for name in AT_MOST_ONE:
        hosts = members(groups, name)
        if len(hosts) > 1:
            problems.append(
                f"group {name}: has {len(hosts)} hosts ({', '.join(hosts)}); it takes one at "
                "most (every host registers with the first). Keep one (hosts.yml)."
            )
    for name in AT_LEAST_ONE:
        if not members(groups, name):
            problems.append(
                f"group {name}: is empty; site.yml needs at least one host there. Add one "
                "(hosts.yml)."
            )
    mons = members(groups, "ceph_mon")
    if mons and len(mons) % 2 == 0:
        problems.append(
            f"group ceph_mon: has {len(mons)} monitors; use an odd number (1, 3, 5), so that "
            "a majority outlives a failure. Add or remove one (hosts.yml)."
        )
    backup = set(members(groups, "backup_server"))
    for host in sorted(backup & set(members(groups, "backup_sources"))):
        problems.append(
            f"group backup_sources: {host} is the backup server itself. Remove it from "
            "backup_sources."
        )
    return problems


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def check_addresses(hosts: Mapping, groups: Mapping) -> list[str]:
    problems = []
    seen: dict[Any, str] = {}
    addresses = {}
    for host in members(groups, "all"):
        raw = hosts.get(host, {}).get("cluster_address")
        if raw is None:
            problems.append(
                f"cluster_address (host {host}): not set. Give it the host's address (hosts.yml)."
            )
            continue
        addr = _address(raw)
        if addr is None:
            problems.append(f"cluster_address (host {host}): {raw!r} is not an IP address.")
            continue
        if addr in seen:
            problems.append(
                f"cluster_address (hosts {seen[addr]} and {host}): both are {addr}. Give each its "
                "own."
            )
        seen[addr] = host
        addresses[host] = addr
    problems += _ceph_network(hosts, groups, addresses)
    problems += _pools(hosts, groups, set(addresses.values()))
    return problems


def _ceph_network(hosts: Mapping, groups: Mapping, addresses: Mapping) -> list[str]:
    problems = []
    for host in members(groups, "ceph_mon"):
        raw = hosts.get(host, {}).get("ceph_public_network")
        if raw is None:
            continue
        try:
            network = ipaddress.ip_network(str(raw))
        except ValueError as err:
            problems.append(f"ceph_public_network (host {host}): {raw!r} is not a network: {err}.")
            continue
        if host in addresses and addresses[host] not in network:
            problems.append(
                f"ceph_public_network (host {host}): the monitor's cluster_address "
                f"{addresses[host]} "
                f"is outside {network}. Monitors listen on the public network: fix one of the two."
            )
    return problems


def _pools(hosts: Mapping, groups: Mapping, reserved_hosts: set) -> list[str]:
    problems = []
    pools = []
    for host in members(groups, "podman_hosts"):
        hv = hosts.get(host, {})
        if not hv.get("ie_podman_subnet"):
            continue
        try:
            net = ipaddress.ip_network(str(hv["ie_podman_subnet"]))
        except ValueError as err:
            problems.append(
                f"ie_podman_subnet (host {host}): {hv['ie_podman_subnet']!r} is not a network "
                f"in CIDR form ({err}). Write it as 10.40.0.0/16."
            )
            continue
        parsed = {}
        for name in ("ie_podman_gateway", "ie_podman_pool_start", "ie_podman_pool_end"):
            addr = _address(hv.get(name))
            if addr is None or addr not in net:
                problems.append(
                    f"{name} (host {host}): {hv.get(name)!r} is not an address in {net}."
                )
            parsed[name] = addr
        start, end, gateway = (
            parsed["ie_podman_pool_start"],
            parsed["ie_podman_pool_end"],
            parsed["ie_podman_gateway"],
        )
        if None in (start, end, gateway) or start not in net or end not in net:
            continue
        if start > end:
            problems.append(
                f"ie_podman_pool_start (host {host}): {start} comes after ie_podman_pool_end {end}."
            )
            continue
        reserved = {net.network_address: "the network's address", gateway: "the gateway"}
        if net.version == 4:
            reserved[net.broadcast_address] = "the broadcast address"
        reserved.update(
            {a: "a server's cluster_address" for a in reserved_hosts if a not in reserved}
        )
        for addr, what in sorted(reserved.items()):
            if start <= addr <= end:
                problems.append(
                    f"ie_podman_pool_start..ie_podman_pool_end (host {host}): the pool "
                    f"{start}-{end} "
                    f"holds {addr} ({what}); ie-podman would hand it to a container. Move the "
                    "pool off it."
                )
        pools.append((host, start, end))
    for (h1, s1, e1), (h2, s2, e2) in itertools.combinations(pools, 2):
        if s1.version == s2.version and s1 <= e2 and s2 <= e1:
            problems.append(
                f"ie_podman_pool_start..ie_podman_pool_end (hosts {h1} and {h2}): the pools "
                f"{s1}-{e1} "
                f"and {s2}-{e2} overlap; each host hands out its own. Make them disjoint."
            )
    return problems


def check_config_extra(hosts: Mapping, groups: Mapping, root: str | None = None) -> list[str]:
    """The extra configuration keys of the hosts that write each file,
    against the roles' templates (plugin_utils/config_extra.py)."""
    base = Path(root) if root else Path(__file__).resolve().parents[1]
    templates = base / "roles"
    problems = []
    for host in groups.get("slurm_controller") or []:
        extra = hosts.get(host, {}).get("slurm_controller_config_extra")
        if extra:
            text = (templates / "slurm_controller/templates/slurm.conf.j2").read_text()
            problems += slurm_extra_problems(extra, text, f"host {host}")
    sssd = (templates / "identity/templates/sssd.conf.j2").read_text()
    for host, hv in hosts.items():
        if hv.get("identity_sssd_config_extra"):
            problems += ini_extra_problems(
                hv["identity_sssd_config_extra"],
                sssd,
                "identity_sssd_config_extra",
                "identity",
                f"host {host}",
            )
    conf = (templates / "ceph/templates/ceph.conf.j2").read_text()
    for host in (groups.get("ceph_mon") or [])[:1]:
        hv = hosts.get(host, {})
        settings = list(hv.get("ceph_cluster_settings") or []) + list(
            hv.get("ceph_profile_settings") or []
        )
        problems += ceph_settings_problems(settings, conf, f"host {host}")
    return problems


def preflight_problems(view: Mapping, groups: Mapping) -> list[str]:
    """Every problem of the inventory (``view`` from preflight_view)."""
    hosts = view.get("hosts", {})
    return [
        *view.get("errors", []),
        *check_groups(groups),
        *check_addresses(hosts, groups),
        *check_limits(hosts, groups),
        *check_slurm(hosts, groups),
        *check_templates(hosts, groups),
        *check_ceph(hosts, groups),
        *check_backups(hosts, groups),
        *check_registry(hosts, groups),
        *check_console(hosts, groups),
        *check_monitoring(hosts, groups),
        *check_config_extra(hosts, groups),
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "preflight_view": preflight_view,
            "preflight_argument_spec": preflight_argument_spec,
            "preflight_problems": preflight_problems,
        }
