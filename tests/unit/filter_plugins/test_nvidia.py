"""The nvidia role's filters, on a simulated GPU inventory."""

import pytest
from ansible.errors import AnsibleFilterError

from filter_plugins.nvidia import (
    FilterModule,
    nvidia_cdi_mode,
    nvidia_cdi_spec,
    nvidia_device_files,
    nvidia_gpus,
)

# A general server as SPEC.md describes it: one Tesla V100S (3D controller),
# plus the on-board Matrox VGA and an Intel NIC. A second card's audio
# function (vendor 10de, class 0x0403) must not count.
SYSFS = """\
/sys/bus/pci/devices/0000:03:00.0/vendor:0x102b
/sys/bus/pci/devices/0000:03:00.0/device:0x0536
/sys/bus/pci/devices/0000:03:00.0/class:0x030000
/sys/bus/pci/devices/0000:3b:00.0/vendor:0x10de
/sys/bus/pci/devices/0000:3b:00.0/device:0x1df6
/sys/bus/pci/devices/0000:3b:00.0/class:0x030200
/sys/bus/pci/devices/0000:5e:00.1/vendor:0x10de
/sys/bus/pci/devices/0000:5e:00.1/device:0x10f8
/sys/bus/pci/devices/0000:5e:00.1/class:0x040300
/sys/bus/pci/devices/0000:18:00.0/vendor:0x8086
/sys/bus/pci/devices/0000:18:00.0/class:0x020000
"""


def test_finds_the_v100s_and_nothing_else():
    assert nvidia_gpus(SYSFS) == [
        {"pci": "0000:3b:00.0", "device_id": "0x1df6", "class": "0x030200"}
    ]


def test_gpus_come_in_pci_order_and_vga_class_counts():
    text = SYSFS + (
        "/sys/bus/pci/devices/0000:1a:00.0/vendor:0x10de\n"
        "/sys/bus/pci/devices/0000:1a:00.0/device:0x2204\n"
        "/sys/bus/pci/devices/0000:1a:00.0/class:0x030000\n"
    )
    gpus = nvidia_gpus(text)
    assert [g["pci"] for g in gpus] == ["0000:1a:00.0", "0000:3b:00.0"]
    assert nvidia_device_files(gpus) == ["/dev/nvidia0", "/dev/nvidia1"]


def test_no_gpu_host():
    host = (
        "/sys/bus/pci/devices/0000:00:02.0/vendor:0x8086\n"
        "/sys/bus/pci/devices/0000:00:02.0/class:0x030000\n"
    )
    assert nvidia_gpus(host) == []
    assert nvidia_gpus("") == []
    assert nvidia_device_files([]) == []


@pytest.mark.parametrize(
    ("requested", "version", "mode"),
    [
        ("auto", "1.18.0-1", "refresh"),
        ("auto", "1.17.8-1", "generate"),
        ("generate", "1.18.1-1", "generate"),
        ("refresh", "1.19.0", "refresh"),
    ],
)
def test_cdi_mode(requested, version, mode):
    assert nvidia_cdi_mode(requested, version) == mode


@pytest.mark.parametrize(
    ("requested", "version"), [("refresh", "1.17.8-1"), ("x", "1.18.0"), ("auto", "latest")]
)
def test_cdi_mode_refuses(requested, version):
    with pytest.raises(AnsibleFilterError):
        nvidia_cdi_mode(requested, version)


def test_cdi_spec_for_stand_in_devices_is_what_podman_reads():
    spec = nvidia_cdi_spec(["/dev/nvidia0", "/dev/nvidia1"])
    assert spec["kind"] == "nvidia.com/gpu"
    assert [d["name"] for d in spec["devices"]] == ["0", "1", "all"]
    assert spec["devices"][2]["containerEdits"]["deviceNodes"] == [
        {"path": "/dev/nvidia0"},
        {"path": "/dev/nvidia1"},
    ]
    with pytest.raises(AnsibleFilterError):
        nvidia_cdi_spec([])


def test_cdi_spec_renders_without_yaml_anchors():
    from ansible.plugins.filter.core import to_nice_yaml

    text = to_nice_yaml(nvidia_cdi_spec(["/dev/nvidia0"]), indent=2)
    assert "&id" not in text and "*id" not in text


def test_bad_input():
    with pytest.raises(AnsibleFilterError):
        nvidia_gpus(None)
    with pytest.raises(AnsibleFilterError):
        nvidia_device_files("gpu")


def test_registered():
    assert set(FilterModule().filters()) == {
        "nvidia_gpus",
        "nvidia_device_files",
        "nvidia_cdi_mode",
        "nvidia_cdi_spec",
    }
