"""The admins' configuration: ``/etc/ie/ie-virsh.json``, written by Ansible."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ie_common.errors import SetupError
from ie_common.i18n import _

DEFAULT_PATH = Path("/etc/ie/ie-virsh.json")


@dataclass(frozen=True)
class Limits:
    """Per-user totals over all of a user's domains."""

    vms: int = 3
    vcpus: int = 4
    memory_mib: int = 4096
    disk_gib: int = 40


@dataclass(frozen=True)
class Config:
    uri: str = "qemu:///system"
    domain_type: str = "kvm"  # kvm, or qemu (software emulation) where allowed
    templates_dir: str = "/var/lib/ie-virsh/templates"
    images_dir: str = "/var/lib/ie-virsh/images"
    run_dir: str = "/run/ie-virsh"
    qemu_group: str = "libvirt-qemu"
    qemu_user: str = "libvirt-qemu"
    interface: dict[str, str] = field(default_factory=lambda: {"type": "user"})
    default_vcpus: int = 1
    default_memory_mib: int = 1024
    default_disk_gib: int = 10
    limits: Limits = field(default_factory=Limits)
    # Totals over every student's VMs on this host.
    host_limits: Limits = field(
        default_factory=lambda: Limits(vms=40, vcpus=80, memory_mib=262144, disk_gib=2000)
    )
    user_limits: dict[str, Limits] = field(default_factory=dict)
    audit_log: str = "/var/log/ie-virsh/audit.log"
    # The lock every command that can raise usage holds across its checks and change.
    lock_file: str = "/run/ie-virsh.lock"
    min_uid: int = 1000
    qemu_img: str = "/usr/bin/qemu-img"
    virsh: str = "/usr/bin/virsh"

    def limits_for(self, user: str) -> Limits:
        return self.user_limits.get(user, self.limits)

    def qemu_ids(self) -> tuple[int, int]:
        """The uid of ``qemu_user`` and the gid of ``qemu_group`` (qemu.conf's)."""
        import grp
        import pwd

        try:
            return pwd.getpwnam(self.qemu_user).pw_uid, grp.getgrnam(self.qemu_group).gr_gid
        except KeyError as exc:
            raise SetupError(
                _(
                    "QEMU's user {user} or group {group} does not exist; ask the admins",
                    user=self.qemu_user,
                    group=self.qemu_group,
                )
            ) from exc


def _limits(raw: Any, where: str) -> Limits:
    names = {f.name for f in fields(Limits)}
    if not isinstance(raw, dict) or set(raw) - names:
        raise SetupError(
            _("{where} must be a mapping of {names}", where=where, names=sorted(names))
        )
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in raw.values()):
        raise SetupError(_("{where}: limits are whole numbers of 0 or more", where=where))
    return Limits(**raw)


def from_dict(raw: dict[str, Any]) -> Config:
    defaults = Config()
    unknown = set(raw) - {f.name for f in fields(Config)}
    if unknown:
        raise SetupError(
            _("unknown settings in the ie-virsh config: {unknown}", unknown=sorted(unknown))
        )
    values = dict(raw)
    for key, value in raw.items():
        if key in ("limits", "host_limits"):
            values[key] = _limits(value, key)
        elif key == "user_limits":
            if not isinstance(value, dict):
                raise SetupError(_("user_limits must be a mapping of login names"))
            values[key] = {u: _limits(v, f"user_limits.{u}") for u, v in value.items()}
        else:
            want = type(getattr(defaults, key))
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                raise SetupError(
                    _("the ie-virsh setting {key} must be a {name}", key=key, name=want.__name__)
                )
    config = Config(**values)
    if config.domain_type not in ("kvm", "qemu"):
        raise SetupError(_("domain_type must be kvm or qemu"))
    if config.interface.get("type") not in ("user", "network", "bridge"):
        raise SetupError(_("interface.type must be user, network or bridge"))
    return config


def load(path: Path = DEFAULT_PATH) -> Config:
    try:
        st = path.stat()
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SetupError(
            _(
                "cannot read the ie-virsh config {path}: {strerror}",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    except ValueError as exc:
        raise SetupError(_("{path} is not JSON: {exc}", path=path, exc=exc)) from exc
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SetupError(_("{path} must belong to root and be writable by root only", path=path))
    if not isinstance(raw, dict):
        raise SetupError(_("{path} must hold a JSON object", path=path))
    return from_dict(raw)
