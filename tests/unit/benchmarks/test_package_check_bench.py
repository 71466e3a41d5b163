"""benchmarks/package_check.py: the same task through both modules, timed from the json report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("package_check", ROOT / "benchmarks/package_check.py")
package_check = importlib.util.module_from_spec(spec)
sys.modules["package_check"] = package_check
spec.loader.exec_module(package_check)


def task(name: str, start: str, end: str, **result) -> dict:
    return {
        "task": {"name": name, "duration": {"start": start, "end": end}},
        "hosts": {"ie-lab-gs01": {"changed": False, **result}, "ie-lab-st01": {"changed": False}},
    }


def test_the_playbook_alternates_each_pair_of_modules_on_the_same_work():
    tasks = package_check.playbook(2)[0]["tasks"]
    each = ["apt", "packages", "copy-builtin", "copy-ie", "template-builtin", "template-ie"]
    each += ["file-builtin", "file-ie", "service-builtin", "service-ie"]
    each += ["lineinfile-builtin", "lineinfile-ie", "floor"]
    assert [t["name"] for t in tasks] == [
        "setup",
        "setup",
        "setup",
        *(f"{label} {i}" for i in range(2) for label in each),
        "cleanup",
    ]
    assert tasks[3]["ansible.builtin.apt"] == {"name": package_check.PACKAGES, "state": "present"}
    assert tasks[4]["ie.cluster.packages"] == {"name": package_check.PACKAGES}
    # the same file, its owner, group and mode, through both actions
    assert tasks[5]["ansible.builtin.copy"] == tasks[6]["ie.cluster.copy"]
    assert tasks[6]["ie.cluster.copy"] == tasks[0]["ansible.builtin.copy"]
    assert tasks[7]["ansible.builtin.template"] == tasks[8]["ie.cluster.template"]
    assert tasks[8]["ie.cluster.template"]["mode"] == "0644"
    # the same directory, made before the rounds; the same running service
    assert (
        tasks[9]["ansible.builtin.file"]
        == tasks[10]["ie.cluster.file"]
        == tasks[2]["ansible.builtin.file"]
    )
    assert tasks[10]["ie.cluster.file"]["state"] == "directory"
    assert tasks[11]["ansible.builtin.systemd_service"] == tasks[12]["ie.cluster.service"]
    assert tasks[12]["ie.cluster.service"] == {"name": "ssh", "state": "started", "enabled": True}
    # the one line of the copied file, already as asked
    assert tasks[13]["ansible.builtin.lineinfile"] == tasks[14]["ie.cluster.lineinfile"]
    line = tasks[14]["ie.cluster.lineinfile"]
    assert line["path"] == tasks[0]["ansible.builtin.copy"]["dest"]
    assert tasks[0]["ansible.builtin.copy"]["content"] == line["line"] + "\n"
    # the floor runs a module on every host, does nothing and changes nothing
    assert tasks[15]["ansible.builtin.command"] == {"argv": ["true"]}
    assert tasks[15]["changed_when"] is False
    assert tasks[-1]["ansible.builtin.file"]["state"] == "absent"
    assert tasks[-1]["loop"] == [
        "/root/ie-bench-copy",
        "/root/ie-bench-template",
        "/root/ie-bench-dir",
    ]


def test_each_tasks_wall_time_is_read_per_module():
    report = {
        "plays": [
            {
                "tasks": [
                    task("apt 0", "2026-11-28T15:00:00.000000Z", "2026-11-28T15:00:02.500000Z"),
                    task(
                        "packages 0", "2026-11-28T15:00:02.500000Z", "2026-11-28T15:00:02.900000Z"
                    ),
                    task("floor 0", "2026-11-28T15:00:02.900000Z", "2026-11-28T15:00:03.100000Z"),
                    # written before the rounds: it changes, and is not timed
                    task("setup", "2026-11-28T14:59:00Z", "2026-11-28T15:00:00Z", changed=True),
                ]
            }
        ]
    }
    times = package_check.task_times(report)
    assert times["apt"] == [2.5]
    assert times["packages"] == [pytest.approx(0.4)]
    assert times["floor"] == [pytest.approx(0.2)]
    assert times["copy-ie"] == [] and "setup" not in times


@pytest.mark.parametrize("result", [{"changed": True}, {"failed": True, "msg": "no package"}])
def test_a_task_that_changed_or_failed_stops_the_benchmark(result):
    report = {
        "plays": [
            {
                "tasks": [
                    task("packages 0", "2026-11-28T15:00:00Z", "2026-11-28T15:00:01Z", **result)
                ]
            }
        ]
    }
    with pytest.raises(SystemExit, match="packages 0 on ie-lab-gs01"):
        package_check.task_times(report)
