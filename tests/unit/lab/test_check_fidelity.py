"""Check-mode fidelity: reading the JSON callback's report and comparing runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location(
    "check_fidelity", ROOT / "tools/lab/check_fidelity.py"
)
fidelity = importlib.util.module_from_spec(spec)
sys.modules["check_fidelity"] = fidelity
spec.loader.exec_module(fidelity)


def task(name: str, line: int, hosts: dict) -> dict:
    path = f"{ROOT}/roles/base/tasks/sshd.yml:{line}"
    return {"task": {"name": name, "path": path}, "hosts": hosts}


REPORT = {
    "plays": [
        {
            "play": {"name": "Base"},
            "tasks": [
                task("Configure sshd", 10, {"gs01": {"changed": True}, "gs02": {"changed": False}}),
                task("Reload sshd", 20, {"gs01": {"changed": True, "skipped": True}}),
                task("Start sshd", 2, {"gs02": {"changed": True, "failed": True}}),
            ],
        },
        {"play": {"name": "Empty"}, "tasks": []},
    ]
}


def test_changed_tasks_are_read_per_host_with_a_repository_path():
    assert fidelity.changed_tasks(REPORT) == {
        ("gs01", "roles/base/tasks/sshd.yml:10", "Configure sshd"),
        ("gs02", "roles/base/tasks/sshd.yml:2", "Start sshd"),
    }


def test_a_skipped_task_is_not_a_change():
    names = {name for _, _, name in fidelity.changed_tasks(REPORT)}
    assert "Reload sshd" not in names


def test_an_empty_or_foreign_report_has_no_changes():
    assert fidelity.changed_tasks({}) == set()
    assert fidelity.changed_tasks({"plays": [{"tasks": [{"hosts": {}}]}]}) == set()


def test_compare_names_what_only_one_run_changed():
    a = ("gs01", "roles/x.yml:1", "Template")
    b = ("gs02", "roles/y.yml:5", "Restart")
    c = ("gs03", "roles/z.yml:9", "Command")
    lines = fidelity.compare({a, b}, {b, c})
    assert lines == [
        "gs01: check mode said changed, the real run did not: Template (roles/x.yml:1)",
        "gs03: the real run changed, check mode did not say so: Command (roles/z.yml:9)",
    ]
    assert fidelity.compare({a}, {a}) == []


def test_the_report_is_found_among_other_callbacks_lines():
    text = (
        "Monday 23 November 2026 (0:00:00.05) ****\n"
        '{"not": "the report"}\n'
        '{"plays": [], "stats": {}}\n'
        "TASKS RECAP ****\n{ not json\n"
    )
    assert fidelity.read_report(text) == {"plays": [], "stats": {}}
    assert fidelity.read_report('{"plays": [1]}') == {"plays": [1]}
    assert fidelity.read_report("no report at all\n{broken") == {}
    assert fidelity.read_report("") == {}
