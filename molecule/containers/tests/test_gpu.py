"""The nvidia role without real hardware: a GPU-less host and a simulated GPU."""

import json

import yaml
from students import GS01, GS02

testinfra_hosts = ["podman://ctr-gs01"]


def test_no_gpu_host_gets_nothing_and_ie_podman_knows():
    for path in (
        "/etc/cdi/nvidia.yaml",
        "/etc/apt/sources.list.d/ie-nvidia.sources",
        "/etc/apt/preferences.d/ie-nvidia",
    ):
        assert not GS01.file(path).exists, path
    assert not GS01.package("nvidia-container-toolkit").is_installed
    config = json.loads(GS01.file("/etc/ie/ie-podman.json").content_string)
    assert config["gpu"] is False


def test_simulated_gpus_get_the_stand_in_cdi_specification_only():
    spec = yaml.safe_load(GS02.file("/etc/cdi/nvidia.yaml").content_string)
    assert spec == {
        "cdiVersion": "0.5.0",
        "kind": "nvidia.com/gpu",
        "devices": [
            {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
            {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1"}]}},
            {
                "name": "all",
                "containerEdits": {
                    "deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/nvidia1"}]
                },
            },
        ],
    }
    # package installation is what the simulation skips: no NVIDIA sources
    assert not GS02.file("/etc/apt/sources.list.d/ie-nvidia.sources").exists


def test_apptainer_nv_gets_the_libraries_its_list_lacks():
    text = GS02.file("/etc/apptainer/nvliblist.conf").content_string
    assert "libcuda.so\nlibnvidia-ml.so\n" in text  # the package's own lines stay
    block = text.split("# BEGIN ie-cluster extra libraries\n")[1].split("# END")[0]
    assert block == "libnvidia-gpucomp.so\nlibnvidia-nvvm.so\n"
