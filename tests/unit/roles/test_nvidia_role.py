"""The nvidia role's repository files and package lists, rendered as Ansible
renders them, for both driver sources (no GPU or NVIDIA mirror is needed)."""

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[3] / "roles" / "nvidia"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render(template: str, **overrides) -> str:
    variables = dict(DEFAULTS, ansible_managed="Ansible managed", **overrides)
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template((ROLE / "templates" / template).read_text()))


def package_lists(**overrides) -> tuple[list, list]:
    variables = dict(DEFAULTS, **overrides)
    raw = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    variables.update(raw)
    templar = Templar(loader=DataLoader(), variables=variables)
    return (
        templar.template(trust_as_template(raw["__nvidia_driver_packages"])),
        [templar.template(trust_as_template(p)) for p in raw["__nvidia_toolkit_packages"]],
    )


def stanzas(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        lines = [x for x in block.splitlines() if x and not x.startswith("#")]
        if lines:
            out.append(dict(line.split(": ", 1) for line in lines))
    return out


def test_distribution_driver_toolkit_repository_only():
    assert stanzas(render("nvidia.sources.j2")) == [
        {
            "Types": "deb",
            "URIs": "https://nvidia.github.io/libnvidia-container/stable/deb/amd64",
            "Suites": "/",
            "Signed-By": "/etc/apt/keyrings/nvidia-container-toolkit.asc",
        }
    ]
    pins = stanzas(render("nvidia.pref.j2"))
    assert pins == [
        {
            "Package": "nvidia-container-toolkit nvidia-container-toolkit-base "
            "libnvidia-container-tools libnvidia-container1",
            "Pin": "version 1.18.0-1",
            "Pin-Priority": "1000",
        }
    ]


def test_vendor_driver_adds_the_cuda_repository_and_pin():
    sources = stanzas(render("nvidia.sources.j2", nvidia_driver_source="vendor"))
    assert sources[1] == {
        "Types": "deb",
        "URIs": "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64",
        "Suites": "/",
        "Signed-By": "/etc/apt/keyrings/cuda-archive-keyring.gpg",
    }
    pins = stanzas(
        render("nvidia.pref.j2", nvidia_driver_source="vendor", nvidia_driver_version="580.65.06-1")
    )
    assert pins[1] == {
        "Package": "cuda-drivers",
        "Pin": "version 580.65.06-1",
        "Pin-Priority": "1000",
    }


@pytest.mark.parametrize(
    ("source", "driver"),
    [
        (
            "distribution",
            [
                "nvidia-driver=550.163.01-2",
                "nvidia-kernel-dkms=550.163.01-2",
                "linux-headers-amd64",
            ],
        ),
        ("vendor", ["cuda-drivers=550.163.01-2"]),
    ],
)
def test_packages_are_pinned(source, driver):
    got_driver, toolkit = package_lists(nvidia_driver_source=source)
    assert got_driver == driver
    assert toolkit == [
        "nvidia-container-toolkit=1.18.0-1",
        "nvidia-container-toolkit-base=1.18.0-1",
        "libnvidia-container-tools=1.18.0-1",
        "libnvidia-container1=1.18.0-1",
    ]


def test_defaults_and_argument_specs_agree():
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert set(options) == set(DEFAULTS)
    for name, spec in options.items():
        if "{{" not in str(DEFAULTS[name]):
            assert spec.get("default") == DEFAULTS[name], name
