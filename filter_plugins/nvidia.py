"""Filters for the nvidia role: GPUs from sysfs, their device files, the CDI mode.

Detection reads PCI sysfs (vendor 0x10de, display or 3D controller class),
so it needs neither the driver nor pciutils, and a host without a GPU is
told apart from a host whose driver is broken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

NVIDIA_VENDOR = "0x10de"
# 0x0300xx VGA controller, 0x0302xx 3D controller (Tesla/datacenter cards);
# not 0x0403 (the HDMI audio function) or 0x0c03 (USB-C) of the same card.
_GPU_CLASSES = ("0x0300", "0x0302")
_LINE = re.compile(
    r"^/sys/bus/pci/devices/(?P<pci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])/"
    r"(?P<attr>vendor|device|class):(?P<value>0x[0-9a-fA-F]+)$"
)
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def nvidia_gpus(sysfs: str) -> list[dict[str, str]]:
    """GPUs from ``grep -H . /sys/bus/pci/devices/*/{vendor,device,class}``, in PCI order."""
    if not isinstance(sysfs, str):
        raise AnsibleFilterError("nvidia_gpus: expected the text printed by grep -H")
    devices: dict[str, dict[str, str]] = {}
    for line in sysfs.splitlines():
        m = _LINE.match(line.strip())
        if m:
            devices.setdefault(m["pci"].lower(), {})[m["attr"]] = m["value"].lower()
    gpus = [
        {"pci": pci, "device_id": attrs.get("device", ""), "class": attrs["class"]}
        for pci, attrs in sorted(devices.items())
        if attrs.get("vendor") == NVIDIA_VENDOR and attrs.get("class", "").startswith(_GPU_CLASSES)
    ]
    return gpus


def nvidia_device_files(gpus: Sequence[Mapping[str, Any]]) -> list[str]:
    """/dev/nvidiaN for each GPU: the driver numbers them in PCI bus order."""
    if isinstance(gpus, (str, bytes)) or not isinstance(gpus, Sequence):
        raise AnsibleFilterError("nvidia_device_files: expected the list nvidia_gpus made")
    return [f"/dev/nvidia{i}" for i in range(len(gpus))]


def nvidia_cdi_mode(requested: str, toolkit_version: str) -> str:
    """``refresh`` (the toolkit's nvidia-cdi-refresh units, 1.18.0 and later) or
    ``generate`` (nvidia-ctk cdi generate); ``auto`` picks by version."""
    m = _VERSION.match(str(toolkit_version))
    if not m:
        raise AnsibleFilterError(
            f"nvidia_cdi_mode: {toolkit_version!r} is not a toolkit version like 1.18.0-1"
        )
    has_refresh = tuple(int(x) for x in m.groups()) >= (1, 18, 0)
    if requested == "auto":
        return "refresh" if has_refresh else "generate"
    if requested == "refresh" and not has_refresh:
        raise AnsibleFilterError(
            f"nvidia_cdi_mode: the toolkit {toolkit_version} has no nvidia-cdi-refresh "
            "(it came with 1.18.0); use generate or auto"
        )
    if requested not in ("refresh", "generate"):
        raise AnsibleFilterError(f"nvidia_cdi_mode: unknown mode {requested!r}")
    return requested


def nvidia_cdi_spec(device_files: Sequence[str], kind: str = "nvidia.com/gpu") -> dict[str, Any]:
    """A CDI specification for stand-in GPU device nodes (the lab and tests).

    Real hosts get theirs from nvidia-ctk, which also adds the driver's
    libraries and tools; this one has the device nodes only, named as
    nvidia-ctk names them: one device per index, and ``all``.
    """
    if isinstance(device_files, (str, bytes)) or not device_files:
        raise AnsibleFilterError("nvidia_cdi_spec: expected a non-empty list of device files")
    # New dicts for every use: shared ones would come out as YAML anchors.
    devices = [
        {"name": str(i), "containerEdits": {"deviceNodes": [{"path": str(f)}]}}
        for i, f in enumerate(device_files)
    ]
    all_nodes = [{"path": str(f)} for f in device_files]
    devices.append({"name": "all", "containerEdits": {"deviceNodes": all_nodes}})
    return {"cdiVersion": "0.5.0", "kind": kind, "devices": devices}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "nvidia_gpus": nvidia_gpus,
            "nvidia_device_files": nvidia_device_files,
            "nvidia_cdi_mode": nvidia_cdi_mode,
            "nvidia_cdi_spec": nvidia_cdi_spec,
        }
