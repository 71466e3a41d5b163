"""The admins' configuration: ``/etc/ie/ie-podman.json``, written by Ansible.

Only root can write it; ie-podman refuses to run when it is writable by
anyone else, because it decides what students may do.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from ie_common.errors import SetupError
from ie_common.i18n import _

DEFAULT_PATH = Path("/etc/ie/ie-podman.json")


class Quota(NamedTuple):
    containers: int = 10
    images: int = 20


class Config(NamedTuple):
    network: str = "ie-dept"
    subnet: str = "10.0.0.0/16"
    pool_start: str = "10.0.1.1"
    pool_end: str = "10.0.255.254"
    gpu: bool = False
    gpu_device: str = "nvidia.com/gpu=all"
    registry: str = ""
    registry_ca: str = ""
    registry_auth_file: str = "/etc/ie/ie-podman-registry-auth.json"
    registry_user: str = ""
    quota: Quota = Quota()
    user_quotas: Mapping[str, Quota] = MappingProxyType({})
    state_dir: str = "/var/lib/ie-podman"
    audit_log: str = "/var/log/ie-podman/audit.log"
    reclaim_after: int = 7 * 24 * 3600
    userns: str = "auto"
    podman: str = "/usr/bin/podman"
    apptainer: str = "/usr/bin/apptainer"
    min_uid: int = 1000
    # Upper bounds of --memory (MiB) and --cpus, and of what one cp or build
    # context may carry (MiB); 0: no bound.
    max_memory_mib: int = 0
    max_cpus: int = 0
    max_upload_mib: int = 4096
    max_sif_mib: int = 16384  # the largest SIF `ie-podman sif` may write
    # Subordinate IDs by formula (the podman role's): base + (uid - min) * count.
    # 0: read /etc/subuid and /etc/subgid instead.
    subid_base: int = 0
    subid_count: int = 65536
    subid_min_uid: int = 1000

    def quota_for(self, user: str) -> Quota:
        return self.user_quotas.get(user, self.quota)

    def pool_bounds(self) -> tuple[int, int]:
        """The first and last address ``--ip`` may hand out, as integers."""
        return int(ipaddress.ip_address(self.pool_start)), int(ipaddress.ip_address(self.pool_end))


def _quota(raw: Any, where: str) -> Quota:
    if not isinstance(raw, dict) or set(raw) - {"containers", "images"}:
        raise SetupError(_("{where} must be a mapping with 'containers' and 'images'", where=where))
    values = {k: raw[k] for k in ("containers", "images") if k in raw}
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values.values()):
        raise SetupError(_("{where}: quotas are whole numbers of 0 or more", where=where))
    return Quota(**values)


def from_dict(raw: dict[str, Any]) -> Config:
    """A :class:`Config` from the parsed JSON, checked."""
    known = set(Config._fields)
    unknown = set(raw) - known
    if unknown:
        raise SetupError(
            _("unknown settings in the ie-podman config: {unknown}", unknown=sorted(unknown))
        )
    values = dict(raw)
    if "quota" in values:
        values["quota"] = _quota(values["quota"], "quota")
    if "user_quotas" in values:
        values["user_quotas"] = {
            user: _quota(q, f"user_quotas.{user}") for user, q in values["user_quotas"].items()
        }
    defaults = Config()
    for key, value in values.items():
        if key in ("quota", "user_quotas"):
            continue
        want = type(getattr(defaults, key))
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise SetupError(
                _(
                    "the ie-podman setting {key} must be a {kind}, got {value!r}",
                    key=key,
                    kind=want.__name__,
                    value=value,
                )
            )
    try:
        config = Config(**values)
        net = ipaddress.ip_network(config.subnet)
        start = ipaddress.ip_address(config.pool_start)
        end = ipaddress.ip_address(config.pool_end)
    except (TypeError, ValueError) as exc:
        raise SetupError(_("the ie-podman config is not valid: {exc}", exc=exc)) from exc
    if start not in net or end not in net or int(end) < int(start):
        raise SetupError(
            _(
                "the address pool {start}-{end} must lie inside {net} and start before it ends",
                start=start,
                end=end,
                net=net,
            )
        )
    return config


def load(path: Path = DEFAULT_PATH) -> Config:
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SetupError(
            _(
                "cannot read the ie-podman config {path}: {strerror}",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SetupError(_("{path} must belong to root and be writable by root only", path=path))
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise SetupError(_("{path} is not JSON: {exc}", path=path, exc=exc)) from exc
    if not isinstance(raw, dict):
        raise SetupError(_("{path} must hold a JSON object", path=path))
    return from_dict(raw)


def ensure_private_dir(path: str, mode: int = 0o700) -> Path:
    p = Path(path)
    p.mkdir(mode=mode, parents=True, exist_ok=True)
    os.chmod(p, mode)
    return p
