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


def test_the_playbook_alternates_the_two_modules_with_the_same_packages():
    tasks = package_check.playbook(3)[0]["tasks"]
    assert [t["name"] for t in tasks] == [
        "apt 0",
        "packages 0",
        "floor 0",
        "apt 1",
        "packages 1",
        "floor 1",
        "apt 2",
        "packages 2",
        "floor 2",
    ]
    assert tasks[0]["ansible.builtin.apt"] == {"name": package_check.PACKAGES, "state": "present"}
    assert tasks[1]["ie.cluster.packages"] == {"name": package_check.PACKAGES}
    # the floor runs a module on every host, does nothing and changes nothing
    assert tasks[2]["ansible.builtin.command"] == {"argv": ["true"]}
    assert tasks[2]["changed_when"] is False


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
                ]
            }
        ]
    }
    times = package_check.task_times(report)
    assert times["apt"] == [2.5]
    assert times["packages"] == [pytest.approx(0.4)]
    assert times["floor"] == [pytest.approx(0.2)]


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
