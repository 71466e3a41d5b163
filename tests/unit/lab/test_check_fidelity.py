"""Check-mode fidelity: reading the JSON callback's report and comparing runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

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


def test_the_logs_directory_comes_first_and_the_rest_goes_to_ansible():
    args = ["-i", "inv", "site.yml", "-e", "x=1"]
    assert fidelity.split_args(["--logs", "/tmp/f", *args]) == (Path("/tmp/f"), args)
    assert fidelity.split_args(args) == (ROOT / ".cache" / "lab", args)
    with pytest.raises(SystemExit, match="--logs needs a directory"):
        fidelity.split_args(["--logs"])


def test_without_a_changed_variable_the_default_changes_are_made():
    _, args = fidelity.split_args(["-i", "inv", "--tags", "base_sshd", "site.yml"])
    assert args == ["-i", "inv", "--tags", "base_sshd", "site.yml", *fidelity.DEFAULT_CHANGES]
    assert "base_sshd_max_auth_tries=5" in fidelity.DEFAULT_CHANGES
    for own in (["-e", "x=1"], ["--extra-vars", "x=1"], ["-ex=1"]):
        assert fidelity.split_args(["site.yml", *own]) == (
            ROOT / ".cache" / "lab",
            ["site.yml", *own],
        )


def run_returning(reports: list[tuple[int, dict]]):
    """A stand-in for run(): each call returns the next (rc, report)."""
    calls = []

    def fake(args, log):
        calls.append(args)
        rc, report = reports[len(calls) - 1]
        return rc, report, 1.0

    return fake, calls


def report_changing(*hosts: str) -> dict:
    return {
        "plays": [{"tasks": [task("Configure sshd", 10, {h: {"changed": True} for h in hosts})]}]
    }


def test_main_passes_when_both_runs_change_the_same_tasks(tmp_path, monkeypatch, capsys):
    fake, calls = run_returning([(0, report_changing("gs01")), (0, report_changing("gs01"))])
    monkeypatch.setattr(fidelity, "run", fake)
    assert fidelity.main(["--logs", str(tmp_path), "site.yml", "-e", "x=1"]) == 0
    assert calls == [["site.yml", "-e", "x=1", "--check", "--diff"], ["site.yml", "-e", "x=1"]]
    assert "the same changed tasks" in capsys.readouterr().out


def test_main_fails_on_a_difference(tmp_path, monkeypatch, capsys):
    fake, _ = run_returning([(0, report_changing("gs01")), (0, report_changing("gs01", "gs02"))])
    monkeypatch.setattr(fidelity, "run", fake)
    assert fidelity.main(["--logs", str(tmp_path), "site.yml"]) == 1
    assert "gs02: the real run changed, check mode did not say so" in capsys.readouterr().out


def test_main_fails_when_nothing_changed_at_all(tmp_path, monkeypatch, capsys):
    fake, _ = run_returning([(0, {"plays": []}), (0, {"plays": []})])
    monkeypatch.setattr(fidelity, "run", fake)
    assert fidelity.main(["--logs", str(tmp_path), "site.yml"]) == 1
    assert "tested nothing" in capsys.readouterr().out


def test_main_fails_when_the_check_run_fails_and_skips_the_real_run(tmp_path, monkeypatch):
    fake, calls = run_returning([(2, {}), (0, report_changing("gs01"))])
    monkeypatch.setattr(fidelity, "run", fake)
    assert fidelity.main(["--logs", str(tmp_path), "site.yml"]) == 1
    assert len(calls) == 1
