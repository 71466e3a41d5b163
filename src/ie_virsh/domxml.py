"""Domain XML: generated here from validated values, and read back.

Students never hand XML to libvirt: raw XML on the system instance can name
any host file as a disk, add devices or pass arguments to QEMU, all as
root. This module writes the whole document from a :class:`Spec`, and reads
back only what ie-virsh needs (owner, size, disks, interfaces).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ie_common.errors import UsageError
from ie_common.i18n import _

NS = "https://ie-cluster.example/xmlns/ie-virsh/1.0"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
SAFE_PATH_RE = re.compile(r"/[A-Za-z0-9_./-]+")
# A template built with a kernel beside its disk (the kvm role's
# kvm_template_builds) boots it directly: the root file system is the disk.
BOOT_CMDLINE = "root=/dev/vda rw console=ttyS0"

ET.register_namespace("ie", NS)
ET.register_namespace("qemu", QEMU_NS)


@dataclass(frozen=True)
class Spec:
    name: str  # the libvirt name (user part included)
    owner_uid: int
    owner_user: str
    vcpus: int
    memory_mib: int
    disk_path: str
    disk_gib: int
    template: str
    domain_type: str = "kvm"
    interface_type: str = "user"
    interface_source: str = ""
    gdb_socket: str = ""
    uuid: str = ""
    mac: str = ""
    kernel: str = ""  # the template's kernel and initrd, for direct kernel boot
    initrd: str = ""
    # The user and group QEMU runs as. libvirt changes no file's owner for
    # the domain (see build); ie-virsh gives the VM's own disk to them.
    qemu_uid: int = -1
    qemu_gid: int = -1

    def check(self) -> None:
        if not NAME_RE.fullmatch(self.name):
            raise UsageError(_("{name!r} is not a valid domain name", name=self.name))
        if self.domain_type not in ("kvm", "qemu"):
            raise UsageError(_("domain type {domain_type!r}", domain_type=self.domain_type))
        if self.qemu_uid <= 0 or self.qemu_gid <= 0:
            raise UsageError(_("QEMU must run as its own user, not as root"))
        if bool(self.kernel) != bool(self.initrd):
            raise UsageError(_("a kernel needs its initrd"))
        for path in (self.disk_path, self.gdb_socket, self.kernel, self.initrd):
            if path and (not SAFE_PATH_RE.fullmatch(path) or ".." in path.split("/")):
                raise UsageError(_("unsafe path {path!r}", path=path))
        if self.uuid and not UUID_RE.fullmatch(self.uuid):
            raise UsageError(_("bad uuid {uuid!r}", uuid=self.uuid))
        if self.mac and not MAC_RE.fullmatch(self.mac):
            raise UsageError(_("bad MAC address {mac!r}", mac=self.mac))
        if self.interface_type not in ("user", "network", "bridge"):
            raise UsageError(
                _("interface type {interface_type!r}", interface_type=self.interface_type)
            )
        if self.interface_type != "user" and not NAME_RE.fullmatch(self.interface_source):
            raise UsageError(
                _("interface source {interface_source!r}", interface_source=self.interface_source)
            )


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def build(spec: Spec) -> str:
    """The complete domain XML for ``spec``."""
    spec.check()
    dom = ET.Element("domain", {"type": spec.domain_type})
    _sub(dom, "name", spec.name)
    if spec.uuid:
        _sub(dom, "uuid", spec.uuid)
    meta = _sub(dom, "metadata")
    _sub(
        meta,
        f"{{{NS}}}owner",
        uid=str(spec.owner_uid),
        user=spec.owner_user,
        template=spec.template,
        disk_gib=str(spec.disk_gib),
    )
    _sub(dom, "memory", str(spec.memory_mib), unit="MiB")
    _sub(dom, "vcpu", str(spec.vcpus))
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc")
    if spec.kernel:
        _sub(os_el, "kernel", spec.kernel)
        _sub(os_el, "initrd", spec.initrd)
        _sub(os_el, "cmdline", BOOT_CMDLINE)
    else:
        _sub(os_el, "boot", dev="hd")
    _sub(_sub(dom, "features"), "acpi")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    disk = _sub(devices, "disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type="qcow2")
    _sub(disk, "source", file=spec.disk_path)
    _sub(disk, "target", dev="vda", bus="virtio")
    iface = _sub(devices, "interface", type=spec.interface_type)
    if spec.mac:
        _sub(iface, "mac", address=spec.mac)
    if spec.interface_type == "network":
        _sub(iface, "source", network=spec.interface_source)
    elif spec.interface_type == "bridge":
        _sub(iface, "source", bridge=spec.interface_source)
    _sub(iface, "model", type="virtio")
    # A serial console reached only through ie-virsh console (no VNC/SPICE
    # port that every local user could connect to).
    _sub(_sub(devices, "serial", type="pty"), "target", port="0")
    _sub(_sub(devices, "console", type="pty"), "target", type="serial", port="0")
    # libvirt's default (dynamic ownership) chowns every file a domain uses
    # to QEMU's user: the shared template under each student's disk stays
    # so after the first start, and any VM's QEMU could then write every
    # student's base image (and the template's kernel and initrd). With a
    # fixed label and no relabelling, QEMU runs as the same user and group
    # but libvirt chowns nothing: templates stay root's, read-only to QEMU.
    seclabel = _sub(dom, "seclabel", type="static", model="dac", relabel="no")
    _sub(seclabel, "label", qemu_label(spec.qemu_uid, spec.qemu_gid))
    if spec.gdb_socket:
        cmdline = _sub(dom, f"{{{QEMU_NS}}}commandline")
        _sub(cmdline, f"{{{QEMU_NS}}}arg", value="-gdb")
        _sub(cmdline, f"{{{QEMU_NS}}}arg", value=f"unix:{spec.gdb_socket},server=on,wait=off")
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


def qemu_label(uid: int, gid: int) -> str:
    """libvirt's DAC label for numeric ids."""
    return f"+{uid}:+{gid}"


def _int(el: ET.Element | None, default: int = 0) -> int:
    try:
        return int((el.text or "").strip()) if el is not None else default
    except ValueError:
        return default


def _memory_mib(el: ET.Element | None) -> int:
    if el is None:
        return 0
    value = _int(el)
    unit = (el.get("unit") or "KiB").lower()
    factor = {"b": 1 / 2**20, "bytes": 1 / 2**20, "k": 1 / 1024, "kib": 1 / 1024,
              "m": 1, "mib": 1, "g": 1024, "gib": 1024}.get(unit, 1 / 1024)  # fmt: skip
    return int(value * factor)


def read(xml: str) -> dict:
    """What ie-virsh needs from a domain's XML (as libvirt returns it)."""
    root = ET.fromstring(xml)  # noqa: S314 - XML from libvirt
    owner = root.find(f"metadata/{{{NS}}}owner")
    gdb = ""
    for arg in root.findall(f"{{{QEMU_NS}}}commandline/{{{QEMU_NS}}}arg"):
        value = arg.get("value", "")
        if value.startswith("unix:"):
            gdb = value[len("unix:") :].split(",")[0]
    label = ""
    for sec in root.findall("seclabel"):
        if sec.get("model") == "dac" and sec.get("type") == "static" and sec.get("relabel") == "no":
            label = (sec.findtext("label") or "").strip()
    ifaces = []
    for iface in root.findall("devices/interface"):
        mac = iface.find("mac")
        model = iface.find("model")
        source = iface.find("source")
        where = "" if source is None else (source.get("network") or source.get("bridge") or "")
        ifaces.append(
            {
                "type": iface.get("type", ""),
                "source": where,
                "model": "" if model is None else model.get("type", ""),
                "mac": "" if mac is None else mac.get("address", ""),
            }
        )
    return {
        "name": (root.findtext("name") or "").strip(),
        "uuid": (root.findtext("uuid") or "").strip(),
        "type": root.get("type", ""),
        "owner_uid": None if owner is None else int(owner.get("uid", "-1")),
        "owner_user": "" if owner is None else owner.get("user", ""),
        "template": "" if owner is None else owner.get("template", ""),
        "disk_gib": 0 if owner is None else int(owner.get("disk_gib", "0")),
        "vcpus": _int(root.find("vcpu")),
        "memory_mib": _memory_mib(root.find("memory")),
        "disks": [d.get("file", "") for d in root.findall("devices/disk/source")],
        "interfaces": ifaces,
        "gdb_socket": gdb,
        # "" unless libvirt relabels nothing (a domain defined before it did)
        "qemu_label": label,
    }


def from_user_xml(text: str) -> dict:
    """Name, vCPUs and memory from a student's XML template; nothing else is used.

    Returns the values and the names of the elements that were ignored, so
    the student is told. The text is parsed with entity expansion refused.
    """
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        raise UsageError(_("XML with a DOCTYPE or entities is not accepted"))
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DOCTYPE/entities (checked above)
    except ET.ParseError as exc:
        raise UsageError(_("the XML template does not parse: {exc}", exc=exc)) from exc
    if root.tag != "domain":
        raise UsageError(_("the XML template must be a <domain> document"))
    used = {"name", "vcpu", "memory", "currentMemory"}
    ignored = sorted({child.tag for child in root} - used)
    return {
        "name": (root.findtext("name") or "").strip(),
        "vcpus": _int(root.find("vcpu"), 0) or None,
        "memory_mib": _memory_mib(root.find("memory")) or None,
        "ignored": ignored,
    }
