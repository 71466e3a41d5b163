"""libvirt (the Python bindings) and qemu-img, as root, for ie-virsh."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from typing import Any

from ie_common.errors import SetupError, ToolFailed
from ie_common.i18n import _

CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


class Libvirt:
    """The few libvirt calls ie-virsh makes, with libvirt errors as ToolFailed."""

    def __init__(self, uri: str) -> None:
        try:
            import libvirt  # python3-libvirt: only on the VM hosts, not in unit tests
        except ImportError as exc:
            raise SetupError(_("python3-libvirt is missing; ask the admins")) from exc
        self.libvirt = libvirt
        # Errors come back as exceptions; without this, libvirt also prints each
        # one (a lookup's "Domain not found" on every define) to stderr.
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as exc:
            raise ToolFailed(
                _("cannot connect to libvirt ({uri}): {exc}", uri=uri, exc=exc)
            ) from exc

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except self.libvirt.libvirtError as exc:
            raise ToolFailed(str(exc)) from exc

    def _domain(self, name: str) -> Any | None:
        try:
            return self.conn.lookupByName(name)
        except self.libvirt.libvirtError:
            return None

    def names(self) -> list[str]:
        return sorted(d.name() for d in self._call(self.conn.listAllDomains))

    def xml(self, name: str) -> str | None:
        dom = self._domain(name)
        if dom is None:
            return None
        flags = self.libvirt.VIR_DOMAIN_XML_INACTIVE
        return self._call(dom.XMLDesc, flags)

    def live_xml(self, name: str) -> str:
        return self._call(self._domain(name).XMLDesc, 0)

    def is_active(self, name: str) -> bool:
        dom = self._domain(name)
        return bool(dom is not None and self._call(dom.isActive))

    def define(self, xml: str) -> None:
        self._call(self.conn.defineXML, xml)

    def undefine(self, name: str) -> None:
        self._call(self._domain(name).undefine)

    def start(self, name: str) -> None:
        self._call(self._domain(name).create)

    def destroy(self, name: str) -> None:
        self._call(self._domain(name).destroy)


def create_overlay(qemu_img: str, template: str, overlay: str, size_gib: int) -> None:
    """A qcow2 overlay on an admin template (argv list; paths built by ie-virsh)."""
    result = subprocess.run(  # noqa: S603 - argv list, validated paths
        [
            qemu_img,
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            template,
            overlay,
            f"{size_gib}G",
        ],
        capture_output=True,
        env=CLEAN_ENV,
        check=False,
        umask=0o077,  # the student's disk: root's until give_to_qemu makes it QEMU's
    )
    if result.returncode != 0:
        raise ToolFailed(
            _("qemu-img could not make the disk: {error}", error=result.stderr.decode().strip())
        )


def give_to_qemu(path: str, uid: int, gid: int) -> None:
    """A VM's own disk, for QEMU alone: owner ``uid``:``gid``, mode 0600.

    libvirt relabels nothing for ie-virsh's domains (domxml.build), so the
    disk must already be QEMU's. Changed through a descriptor opened without
    following links, and only if it is one plain file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise ToolFailed(
            _("the disk {path} cannot be opened: {strerror}", path=path, strerror=exc.strerror)
        ) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            raise ToolFailed(_("the disk {path} is not a plain file; ask the admins", path=path))
        os.fchown(fd, uid, gid)
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def virtual_size_gib(qemu_img: str, image: str) -> int:
    """The template's virtual size, rounded up to whole GiB."""
    result = subprocess.run(  # noqa: S603 - argv list, admin template path
        [qemu_img, "info", "--output=json", image], capture_output=True, env=CLEAN_ENV, check=False
    )
    if result.returncode != 0:
        raise ToolFailed(
            _("qemu-img cannot read the template: {error}", error=result.stderr.decode().strip())
        )
    size = int(json.loads(result.stdout)["virtual-size"])
    return -(-size // 2**30)
