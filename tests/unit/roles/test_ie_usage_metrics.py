"""roles/node_exporter/files/ie_usage_metrics.py: each student's running
containers and VMs, what they reserved, and each home's size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripts import load_script, samples

SCRIPT = Path(__file__).resolve().parents[3] / "roles/node_exporter/files/ie_usage_metrics.py"
usage = load_script(SCRIPT, "ie_usage_metrics")

PS = [{"Id": "aaa"}, {"Id": "bbb"}, {"Id": "ccc"}]
INSPECT = [
    {"Config": {"Labels": {"ie.owner.user": "alice"}}, "State": {"Running": True},
     "HostConfig": {"NanoCpus": 1_500_000_000, "Memory": 2 * 2**30}},
    # a CPU quota instead of --cpus, no memory limit
    {"Config": {"Labels": {"ie.owner.user": "alice"}}, "State": {"Running": True},
     "HostConfig": {"CpuQuota": 50000, "CpuPeriod": 100000, "Memory": 0}},
    {"Config": {"Labels": {"ie.owner.user": "bob"}}, "State": {"Running": True},
     "HostConfig": {}},
]  # fmt: skip
NS = "https://ie-cluster.example/xmlns/ie-virsh/1.0"


def domain(user, vcpus, memory_kib, unit="KiB"):
    owner = f'<ie:owner xmlns:ie="{NS}" uid="1001" user="{user}"/>' if user else ""
    return (
        f"<domain><metadata>{owner}</metadata><vcpu>{vcpus}</vcpu>"
        f"<memory unit='{unit}'>{memory_kib}</memory></domain>"
    )


DOMAINS = {
    "alice.vm1": domain("alice", 2, 2097152),
    "alice.vm2": domain("alice", 1, 1, unit="GiB"),
    "admin-vm": domain("", 8, 8388608),  # not ie-virsh's: no owner
}


def fake(argv):
    if argv[:2] == ["podman", "ps"]:
        assert "label=ie.owner.user" in argv
        return json.dumps(PS)
    if argv[:3] == ["podman", "container", "inspect"]:
        assert argv[-3:] == ["aaa", "bbb", "ccc"]
        return json.dumps(INSPECT)
    if argv[3] == "list":
        return "\n".join(DOMAINS) + "\n\n"
    if argv[3] == "dumpxml":
        if argv[-1] == "gone":
            raise RuntimeError("domain not found")
        return DOMAINS[argv[-1]]
    raise AssertionError(argv)


def user(name):
    return (("user", name),)


def test_each_students_containers_and_what_they_reserved():
    got = samples(usage.collect(fake, ["containers"], None))
    assert got[("ie_student_containers", user("alice"))] == 2
    assert got[("ie_student_container_cpus", user("alice"))] == 2.0  # 1.5 + 0.5 (quota)
    assert got[("ie_student_container_memory_bytes", user("alice"))] == 2 * 2**30
    assert got[("ie_student_containers", user("bob"))] == 1
    assert got[("ie_student_container_cpus", user("bob"))] == 0
    assert got[("ie_usage_metrics_read", (("part", "containers"),))] == 1
    assert not any(name.startswith("ie_student_vm") for name, _ in got)  # not asked


def test_no_running_container_asks_nothing_more():
    def none(argv):
        assert argv[:2] == ["podman", "ps"], argv
        return "[]"

    got = samples(usage.collect(none, ["containers"], None))
    assert got == {("ie_usage_metrics_read", (("part", "containers"),)): 1}


def test_each_students_vms_from_their_owner_element():
    got = samples(usage.collect(fake, ["vms"], None))
    assert got[("ie_student_vms", user("alice"))] == 2
    assert got[("ie_student_vm_vcpus", user("alice"))] == 3
    assert got[("ie_student_vm_memory_bytes", user("alice"))] == 2 * 2**30 + 2**30
    assert {dict(labels).get("user") for _, labels in got} == {"alice", None}


def test_a_vm_that_stopped_after_the_list_is_skipped():
    def racing(argv):
        if argv[3] == "list":
            return "gone\nalice.vm1\n"
        return fake(argv)

    got = samples(usage.collect(racing, ["vms"], None))
    assert got[("ie_student_vms", user("alice"))] == 1


def test_a_part_that_fails_is_marked_and_the_others_are_still_written(capsys):
    def broken(argv):
        if argv[0] == "virsh":
            raise RuntimeError("failed to connect to the hypervisor")
        return fake(argv)

    got = samples(usage.collect(broken, ["containers", "vms"], None))
    assert got[("ie_usage_metrics_read", (("part", "vms"),))] == 0
    assert got[("ie_student_containers", user("alice"))] == 2
    assert "failed to connect" in capsys.readouterr().err


def test_each_home_is_its_cephfs_recursive_size(tmp_path, monkeypatch):
    for name in ("alice", "bob", "lost+found"):
        (tmp_path / name).mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "alice")
    sizes = {"alice": b"1234", "bob": b"0"}

    def getxattr(path, name):
        assert name == "ceph.dir.rbytes"
        found = sizes.get(Path(path).name)
        if found is None:
            raise OSError(61, "No data available")
        return found

    monkeypatch.setattr(usage.os, "getxattr", getxattr)
    got = samples(usage.collect(fake, [], tmp_path))
    assert got[("ie_student_home_bytes", user("alice"))] == 1234
    assert got[("ie_student_home_bytes", user("bob"))] == 0
    homes = {dict(labels)["user"] for name, labels in got if name == "ie_student_home_bytes"}
    assert homes == {"alice", "bob"}  # no file, no link, no folder without the attribute


def test_a_host_without_the_tools_or_cephfs_has_nothing_to_read(tmp_path, monkeypatch):
    monkeypatch.setattr(usage.shutil, "which", lambda tool, path=None: None)
    parts, home_top = usage.available(tmp_path)  # tmp_path is no CephFS
    assert (parts, home_top) == ([], None)
    out = tmp_path / "usage.prom"
    monkeypatch.setattr(usage, "run", fake)
    assert usage.main(["--homes", str(tmp_path), "--output", str(out)]) == 0
    assert "ie_student" not in out.read_text()


@pytest.mark.parametrize("tool", ["podman", "virsh", "nvidia-smi"])
def test_a_host_with_one_tool_reads_that_part_only(monkeypatch, tool):
    monkeypatch.setattr(usage.shutil, "which", lambda t, path=None: t if t == tool else None)
    parts, _ = usage.available(None)
    assert parts == [{"podman": "containers", "virsh": "vms", "nvidia-smi": "gpus"}[tool]]


# ---- GPUs: nvidia-smi's CSV as an H100 printed it (the device machine, with
# one process holding 1 GiB: data/nvidia-smi-h100-*.csv)
DATA = Path(__file__).parent / "data"
H100_GPU = (DATA / "nvidia-smi-h100-query-gpu.csv").read_text()
H100_APPS = (DATA / "nvidia-smi-h100-query-apps.csv").read_text()
# a second GPU that reports neither power nor temperature
OLD_GPU = "1, GPU-0000, Tesla K80, 50, 100, 11441, [N/A], [Not Supported]\n"


def nvidia(gpu_csv, apps_csv):
    def read(argv):
        assert argv[0] == "nvidia-smi" and argv[-1] == "--format=csv,noheader,nounits"
        return gpu_csv if argv[1].startswith("--query-gpu=") else apps_csv

    return read


def test_each_gpu_as_nvidia_smi_reports_it(monkeypatch):
    monkeypatch.setattr(usage.os, "stat", lambda path: type("S", (), {"st_uid": 1001})())
    monkeypatch.setattr(usage.pwd, "getpwuid", lambda uid: type("P", (), {"pw_name": "alice"})())
    got = samples(usage.collect(nvidia(H100_GPU + OLD_GPU, H100_APPS), ["gpus"], None))
    h100 = (("gpu", "0"), ("model", "NVIDIA H100 80GB HBM3"),
            ("uuid", "GPU-cf80b4d8-5eb0-0577-bc79-6ba0fd89ecd1"))  # fmt: skip
    assert got[("ie_gpu_memory_total_bytes", h100)] == 81559 * 2**20
    assert got[("ie_gpu_utilization_ratio", h100)] == 0
    assert got[("ie_gpu_temperature_celsius", h100)] == 33
    assert got[("ie_gpu_power_watts", h100)] == 73.97
    k80 = (("gpu", "1"), ("model", "Tesla K80"), ("uuid", "GPU-0000"))
    assert got[("ie_gpu_utilization_ratio", k80)] == 0.5
    assert ("ie_gpu_power_watts", k80) not in got  # [Not Supported]: left out
    assert ("ie_gpu_temperature_celsius", k80) not in got
    assert got[("ie_student_gpu_processes", user("alice"))] == 1
    assert got[("ie_student_gpu_memory_bytes", user("alice"))] == 1030 * 2**20
    assert got[("ie_usage_metrics_read", (("part", "gpus"),))] == 1


def test_a_gpu_process_that_ended_is_not_counted(monkeypatch):
    def gone(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(usage.os, "stat", gone)
    got = samples(usage.collect(nvidia(H100_GPU, H100_APPS), ["gpus"], None))
    assert not any(name.startswith("ie_student_gpu") for name, _ in got)


def test_a_driver_that_does_not_answer_is_marked(capsys):
    def broken(argv):
        raise RuntimeError("NVIDIA-SMI has failed because it couldn't communicate with the driver")

    got = samples(usage.collect(broken, ["gpus"], None))
    assert got == {("ie_usage_metrics_read", (("part", "gpus"),)): 0}
    assert "couldn't communicate" in capsys.readouterr().err
