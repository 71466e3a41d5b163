"""Department addresses for ``--ip``: first free address, under a lock.

The leases file maps each handed-out address to the container holding it.
An address comes back when its container is removed, or when an admin
reclaims the addresses of containers stopped for longer than
``reclaim_after`` (``ie-podman admin reclaim``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ie_common.errors import NoAddress, SetupError, UsageError
from ie_common.i18n import _
from ie_common.locking import flocked

Leases = dict[str, dict[str, Any]]


class LeaseStore:
    """``leases.json`` in the state directory, changed only under ``flock``."""

    def __init__(self, state_dir: str | Path) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / "leases.json"
        self.lock_path = self.dir / "leases.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[Leases]:
        """The leases, locked against every other ie-podman; saved on a clean exit."""
        with flocked(self.lock_path):
            leases = self._read()
            before = json.dumps(leases, sort_keys=True)
            yield leases
            if json.dumps(leases, sort_keys=True) != before:
                self._write(leases)

    def snapshot(self) -> Leases:
        with self.locked() as leases:
            return dict(leases)

    def _read(self) -> Leases:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise SetupError(
                _("{path} is damaged ({exc}); ask the admins", path=self.path, exc=exc)
            ) from exc
        if not isinstance(data, dict):
            raise SetupError(_("{path} is damaged; ask the admins", path=self.path))
        return data

    def _write(self, leases: Leases) -> None:
        import tempfile  # here: it costs every command 8 ms to load (random, hashlib)

        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".leases.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(leases, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _pool(subnet: str, start: int, end: int) -> tuple[Any, Callable[[Any], bool], str]:
    """The subnet, whether an address may be handed out (inside the subnet
    and ``start..end``; never the network or broadcast address of an IPv4
    subnet, whatever the pool says), and the pool as text."""
    net = ipaddress.ip_network(subnet)
    reserved = {net.network_address, net.broadcast_address} if net.version == 4 else set()

    def usable(addr: Any) -> bool:
        return addr in net and addr not in reserved and start <= int(addr) <= end

    return net, usable, f"{ipaddress.ip_address(start)}-{ipaddress.ip_address(end)}"


def first_free(subnet: str, start: int, end: int, taken: set[str]) -> str:
    """The lowest address of ``start..end`` inside ``subnet`` that is not taken."""
    net, usable, pool = _pool(subnet, start, end)
    for value in range(start, end + 1):
        addr = ipaddress.ip_address(value)
        if usable(addr) and str(addr) not in taken:
            return str(addr)
    raise NoAddress(
        _("the department network has no free address ({net}, pool {pool})", net=net, pool=pool),
        _("remove containers you no longer need (ie-podman rm), or ask the admins"),
    )


def wanted(subnet: str, start: int, end: int, taken: set[str], text: str) -> str:
    """``text`` (``--ip ADDRESS``) when it is a free address of the pool."""
    _network, usable, pool = _pool(subnet, start, end)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise UsageError(
            _("--ip {text}: not an IPv4 address", text=text), _("give one of {pool}", pool=pool)
        ) from None
    if not usable(addr):
        raise UsageError(
            _("--ip {text}: not an address the department network hands out", text=text),
            _("give one of {pool}, or --ip alone for a free one", pool=pool),
        )
    if str(addr) in taken:
        raise NoAddress(
            _("--ip {text}: that address is in use", text=text), _("--ip alone takes a free one")
        )
    return str(addr)


def addresses_of(leases: Leases, container: str) -> list[str]:
    return sorted(a for a, lease in leases.items() if lease.get("container") == container)


def release(leases: Leases, container: str) -> list[str]:
    """Drop every lease of ``container``; the addresses it gave back."""
    gone = addresses_of(leases, container)
    for addr in gone:
        del leases[addr]
    return gone
