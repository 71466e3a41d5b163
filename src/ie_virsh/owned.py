"""The caller's VMs: names in the caller's namespace, ownership checked
against the owner element of each domain's metadata, what each uses, and
the per-student and per-server limits (one host lock around each check and
the change it guards)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ie_common import locking, naming
from ie_common.errors import NotFound, QuotaExceeded, Refused, UsageError
from ie_common.i18n import _
from ie_virsh import config, domxml


class OwnedVMs:
    """For ie-virsh's App: needs ``caller``, ``cfg`` and ``virt``."""

    def full_name(self, name: str) -> str:
        if not domxml.NAME_RE.fullmatch(name) or len(name) > 40:
            raise UsageError(
                _("{name!r} is not a valid VM name", name=name),
                _(
                    "use up to 40 letters, digits, '_', '.' and '-', starting with a "
                    "letter or digit"
                ),
            )
        return naming.qualified(self.caller.name, name)

    def own(self, name: str) -> tuple[str, dict]:
        full = self.full_name(name)
        xml = self.virt.xml(full)
        info = domxml.read(xml) if xml else None
        if info is None or info["owner_uid"] != self.caller.uid:
            raise NotFound(
                _("you have no VM named {name!r}", name=name), _("ie-virsh list --all lists yours")
            )
        return full, info

    def mine(self, domains: list[dict] | None = None) -> list[dict]:
        """The caller's VMs (name in their namespace and their owner element),
        from ``domains`` if already read, each with its ``short`` name."""
        if domains is None:
            domains = [self.usage(f) for f in self.virt.names() if self.short_name(f)]
        return [
            {**d, "short": self.short_name(d["name"])}
            for d in domains
            if self.short_name(d["name"]) and d["owner_uid"] == self.caller.uid
        ]

    def short_name(self, full: str) -> str:
        """The caller's name for the domain ``full``; "" if it is not in their namespace."""
        try:
            user, short = naming.split_qualified(full)
        except ValueError:
            return ""
        return short if user == self.caller.name else ""

    def usage(self, full: str) -> dict:
        """A domain's stored definition, with what it really uses while it runs:
        the larger of its live and stored vCPUs and memory count."""
        info = domxml.read(self.virt.xml(full) or "<domain/>")
        info["active"] = self.virt.is_active(full)
        info["defined_vcpus"], info["defined_memory_mib"] = info["vcpus"], info["memory_mib"]
        info["live_vcpus"], info["live_memory_mib"] = info["vcpus"], info["memory_mib"]
        if info["active"]:
            live = domxml.read(self.virt.live_xml(full))
            info["live_vcpus"], info["live_memory_mib"] = live["vcpus"], live["memory_mib"]
            info["vcpus"] = max(info["vcpus"], live["vcpus"])
            info["memory_mib"] = max(info["memory_mib"], live["memory_mib"])
        return info

    # -- limits ---------------------------------------------------------------

    def check_limits(self, vcpus: int, memory_mib: int, disk_gib: int, replacing: str = "") -> None:
        lim = self.cfg.limits_for(self.caller.name)
        everyone = [d for d in self.all_owned() if d["name"] != replacing]
        others = self.mine(everyone)
        new = {"vcpus": vcpus, "memory_mib": memory_mib, "disk_gib": disk_gib}
        for what, total, limit in _over_limits(others, new, lim):
            raise QuotaExceeded(
                _(
                    "that would make {total} {what} in all; your limit is {limit}",
                    total=total,
                    what=what,
                    limit=limit,
                ),
                _("shrink or undefine a VM you no longer need, or ask the admins"),
            )
        for what, total, limit in _over_limits(everyone, new, self.cfg.host_limits):
            raise QuotaExceeded(
                _(
                    "this server would have {total} {what} of student VMs; its limit is {limit}",
                    total=total,
                    what=what,
                    limit=limit,
                ),
                _("use another general server, or ask the admins"),
            )

    def all_owned(self) -> list[dict]:
        """Every student's VMs on this host (domains with an ie-virsh owner)."""
        out = []
        for full in self.virt.names():
            info = self.usage(full)
            if info["owner_uid"] is not None:
                out.append(info)
        return out

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held across every limit check and the change it guards (define, edit,
        start), by every student on this host: limits are per server."""
        with locking.flocked(self.cfg.lock_file):
            yield

    def own_running(self, name: str) -> str:
        """The libvirt name of the caller's VM ``name``, which must be running."""
        full, _owned = self.own(name)
        if not self.virt.is_active(full):
            raise Refused(
                _("{name} is not running", name=name),
                _("it is off; ie-virsh start {name} starts it", name=name),
            )
        return full


def _over_limits(existing: list[dict], new: dict, limits: config.Limits) -> list[tuple]:
    """(what, total, limit) for each limit ``existing`` plus ``new`` would pass."""
    totals = [
        (_("VMs"), len(existing) + 1, limits.vms),
        (_("vCPUs"), sum(d["vcpus"] for d in existing) + new["vcpus"], limits.vcpus),
        (
            _("MiB of memory"),
            sum(d["memory_mib"] for d in existing) + new["memory_mib"],
            limits.memory_mib,
        ),
        (_("GiB of disk"), sum(d["disk_gib"] for d in existing) + new["disk_gib"], limits.disk_gib),
    ]
    return [t for t in totals if t[1] > t[2]]
