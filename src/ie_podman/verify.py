"""Defence in depth: what Podman really created, compared with the policy.

``ie-podman run`` creates a container, inspects it and hands the inspect
data to :func:`problems` before starting it. Anything the wrapper did not
ask for (an option that slipped through, a default an admin changed, an
image that asks for more) is a problem: the container is removed and the
command refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ie_podman.backend import OWNER_LABEL, USER_LABEL

# Capabilities that reach the host, whatever the user namespace.
DANGEROUS_CAPS = frozenset(
    "CAP_" + c
    for c in [
        "SYS_ADMIN",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_PTRACE",
        "SYS_BOOT",
        "SYS_TIME",
        "SYS_RESOURCE",
        "SYS_PACCT",
        "SYS_NICE",
        "SYS_TTY_CONFIG",
        "NET_ADMIN",
        "DAC_READ_SEARCH",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "LINUX_IMMUTABLE",
        "IPC_LOCK",
        "IPC_OWNER",
        "LEASE",
        "BLOCK_SUSPEND",
        "WAKE_ALARM",
        "SYSLOG",
        "AUDIT_CONTROL",
        "AUDIT_READ",
        "BPF",
        "PERFMON",
        "CHECKPOINT_RESTORE",
    ]
)
PRIVATE_NAMESPACE_MODES = ("", "private", "shareable", "none")


class Expected(NamedTuple):
    """What ie-podman asked Podman for."""

    name: str
    owner_uid: int
    owner_user: str
    binds: frozenset[tuple[str, str, bool]] = frozenset()  # (source, destination, read-write)
    network: str = ""  # the department network when --ip was given
    department_network: str = "ie-dept"
    uid_map: tuple[str, ...] = ()  # empty: whatever userns=auto chose, but never the host's
    gid_map: tuple[str, ...] = ()
    require_userns: bool = True  # False only where the admins set userns to none
    memory: int = 0  # bytes; 0: no limit asked
    nano_cpus: int = 0
    gpu_devices: frozenset[str] = frozenset()
    labels: Mapping[str, str] = MappingProxyType({})


def problems(data: dict[str, Any], want: Expected) -> list[str]:
    """Every way ``data`` (``podman container inspect``) differs from ``want``."""
    found: list[str] = []
    host = data.get("HostConfig") or {}
    labels = (data.get("Config") or {}).get("Labels") or {}
    if (data.get("Name") or "").lstrip("/") != want.name:
        found.append(f"name {data.get('Name')!r}")
    if host.get("Privileged"):
        found.append("privileged mode")
    if host.get("CapAdd"):
        found.append(f"added capabilities {host.get('CapAdd')}")
    caps = set(data.get("EffectiveCaps") or []) | set(data.get("BoundingCaps") or [])
    if caps & DANGEROUS_CAPS:
        found.append(f"capabilities {sorted(caps & DANGEROUS_CAPS)}")
    if "no-new-privileges" not in (host.get("SecurityOpt") or []):
        found.append("no-new-privileges missing")
    for opt in host.get("SecurityOpt") or []:
        if "unconfined" in opt or opt.startswith(("label=disable", "label:disable")):
            found.append(f"security option {opt}")
    devices = [d.get("PathOnHost", "") for d in host.get("Devices") or []]
    if devices and not (want.gpu_devices and _gpu_devices_only(devices, want.gpu_devices)):
        found.append(f"devices {devices}")
    for key in ("PidMode", "IpcMode", "UTSMode", "CgroupnsMode", "UsernsMode"):
        mode = str(host.get(key) or "")
        if mode == "host" or mode.startswith(("container:", "ns:", "ns=")):
            found.append(f"{key} {mode}")
    found += _mount_problems(data.get("Mounts") or [], want)
    found += _network_problems(data, host, want)
    found += _idmap_problems(host, want)
    if labels.get(OWNER_LABEL) != str(want.owner_uid) or labels.get(USER_LABEL) != want.owner_user:
        found.append("owner labels")
    for key, value in want.labels.items():
        if labels.get(key) != value:
            found.append(f"label {key}")
    if (host.get("Memory") or 0) != want.memory:
        found.append(f"memory limit {host.get('Memory')}")
    if (host.get("NanoCpus") or 0) != want.nano_cpus:
        found.append(f"CPU limit {host.get('NanoCpus')}")
    for key in ("VolumesFrom", "Links", "ExtraHosts", "GroupAdd"):
        if host.get(key):
            found.append(f"{key} {host.get(key)}")
    if host.get("CgroupParent"):
        found.append(f"cgroup parent {host.get('CgroupParent')}")
    if host.get("PortBindings"):
        found.append("published ports")
    return found


def _gpu_devices_only(devices: list[str], cdi: frozenset[str]) -> bool:
    return all(d in cdi or d.startswith(("/dev/nvidia", "/dev/dri/")) for d in devices)


def _mount_problems(mounts: list[dict[str, Any]], want: Expected) -> list[str]:
    found = []
    binds = set()
    for m in mounts:
        kind = m.get("Type")
        if kind == "bind":
            binds.add((m.get("Source", ""), m.get("Destination", ""), bool(m.get("RW"))))
        elif kind != "volume" or m.get("Driver") not in ("local", "", None):
            found.append(f"mount {kind} {m.get('Source')}")
    if binds != set(want.binds):
        found.append(f"bind mounts {sorted(binds)}")
    return found


def _network_problems(data: dict[str, Any], host: dict[str, Any], want: Expected) -> list[str]:
    mode = str(host.get("NetworkMode") or "")
    if mode in ("host", "none") or mode.startswith(("container:", "ns:", "slirp4netns", "pasta")):
        return [f"network mode {mode}"]
    networks = set(((data.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    if want.network:
        return [] if networks == {want.network} else [f"networks {sorted(networks)}"]
    if want.department_network in networks:
        return ["the department network without --ip"]
    return []


def _idmap_problems(host: dict[str, Any], want: Expected) -> list[str]:
    maps = host.get("IDMappings") or {}
    uid_map = tuple(maps.get("UidMap") or ())
    gid_map = tuple(maps.get("GidMap") or ())
    if want.uid_map or want.gid_map:
        if (uid_map, gid_map) != (want.uid_map, want.gid_map):
            return [f"user mapping {list(uid_map)} {list(gid_map)}"]
        return []
    # userns=auto: any mapping, as long as no container ID is host root
    if want.require_userns and not uid_map:
        return ["no user namespace"]
    for line in (*uid_map, *gid_map):
        _inside, outside, count = (int(x) for x in line.split(":"))
        if outside <= 0 < outside + count:
            return [f"user mapping {line} reaches host root"]
    return []
