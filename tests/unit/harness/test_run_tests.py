"""The test runner: scenario order, durations, scenarios run side by side."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("run_tests", ROOT / "tools/harness/run_tests.py")
run_tests = importlib.util.module_from_spec(spec)
sys.modules["run_tests"] = run_tests
spec.loader.exec_module(run_tests)
Step = run_tests.Step


@pytest.fixture
def logs(tmp_path, monkeypatch):
    monkeypatch.setattr(run_tests, "LOGS", tmp_path)
    monkeypatch.setattr(run_tests, "DURATIONS", tmp_path / "durations.json")
    monkeypatch.setattr(run_tests, "ROOT", tmp_path)
    return tmp_path


def step(name: str, argv: list[str], containers: int = 0) -> Step:
    return Step("molecule", name, argv, run_tests.ROOT, containers)


def test_known_durations_first_longest_first_then_by_containers():
    steps = [step("a", []), step("b", [], 6), step("c", []), step("d", [], 2), step("e", [], 2)]
    order = run_tests.longest_first(steps, {"c": 700.0, "a": 1000.0})
    assert [s.name for s in order] == ["a", "c", "b", "d", "e"]


def test_every_scenario_is_found_once_with_its_container_count():
    found = run_tests.scenarios()
    names = [s.name for s in found]
    assert len(names) == len(set(names))
    ceph = next(s for s in found if s.name == "molecule cluster/ceph")
    assert ceph.containers == 6
    assert ceph.argv == ["molecule", "test", "-s", "ceph"]


def test_ci_durations_name_real_scenarios():
    known = run_tests.read_durations(run_tests.CI_DURATIONS)
    assert known
    assert set(known) <= {s.name for s in run_tests.scenarios()}


def test_durations_file_that_is_not_a_mapping_is_ignored(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text("[1, 2]")
    assert run_tests.read_durations(bad) == {}
    bad.write_text("{not json")
    assert run_tests.read_durations(bad) == {}
    bad.write_text('{"x": 3, "y": "slow"}')
    assert run_tests.read_durations(bad) == {"x": 3.0}


def test_parallel_runs_report_each_result_and_print_whole_logs(logs, capsys):
    steps = [
        step("molecule cluster/ok", ["sh", "-c", "echo first-line; sleep 0.6; echo last-line"]),
        step("molecule cluster/bad", ["sh", "-c", "echo broken; exit 3"]),
        step("molecule cluster/missing", ["/nonexistent/program"]),
    ]
    start = time.monotonic()
    results = run_tests.run_parallel(steps, 2)
    elapsed = time.monotonic() - start
    assert [(s.name, ok) for s, ok, _ in results] == [
        ("molecule cluster/ok", True),
        ("molecule cluster/bad", False),
        ("molecule cluster/missing", False),
    ]
    assert elapsed < 1.5  # the failing steps ran beside the slow one
    out = capsys.readouterr().out
    # each log is printed whole, not interleaved with another step's lines
    assert "first-line\nlast-line\n" in out
    assert "FAILED  molecule cluster/bad" in out
    assert (logs / "cluster_bad.log").read_text() == "broken\n"
    assert "/nonexistent/program" in (logs / "cluster_missing.log").read_text()
    # only passed steps update the recorded durations
    recorded = json.loads((logs / "durations.json").read_text())
    assert set(recorded) == {"molecule cluster/ok"}
    assert recorded["molecule cluster/ok"] >= 0.5


def test_molecule_phase_lines_get_the_seconds_since_the_start(logs):
    assert run_tests.stamp("INFO     [site > converge] Executing\n", 61.4) == (
        "INFO     [site > converge] Executing  [+61 s]\n"
    )
    assert run_tests.stamp("INFO     [site > check] Executed: Successful\n", 2) == (
        "INFO     [site > check] Executed: Successful  [+2 s]\n"
    )
    for other in ("TASK [x] ***\n", "INFO     Running site > converge\n", "Executing\n"):
        assert run_tests.stamp(other, 5) == other
    script = (
        "echo 'INFO     [s > create] Executing'; sleep 1.1; echo 'INFO     [s > create] Executed'"
    )
    assert run_tests.run_parallel([step("molecule cluster/s", ["sh", "-c", script])], 1)[0][1]
    assert (logs / "cluster_s.log").read_text() == (
        "INFO     [s > create] Executing  [+0 s]\nINFO     [s > create] Executed  [+1 s]\n"
    )


def test_one_job_runs_steps_one_after_another(logs):
    steps = [step(f"molecule s{i}", ["sh", "-c", "sleep 0.3"]) for i in range(3)]
    start = time.monotonic()
    results = run_tests.run_parallel(steps, 1)
    assert all(ok for _, ok, _ in results)
    assert time.monotonic() - start >= 0.9


def test_jobs_below_one_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run_tests.py", "--only", "molecule", "--jobs", "0"])
    assert run_tests.main() == 2
    assert "--jobs must be 1 or more" in capsys.readouterr().err


def test_scenarios_that_do_not_test_installation_start_from_the_packages_image():
    found = {s.name: s for s in run_tests.scenarios()}
    for name in ("ceph", "slurm", "containers", "backup", "identity", "registry"):
        assert found[f"molecule cluster/{name}"].image == run_tests.PACKAGES_IMAGE, name
    # installing the packages is tested on the bare image
    assert found["molecule cluster/site"].image == ""
    assert found["molecule base/default"].image == ""


def image_steps(logs, monkeypatch, build_script):
    monkeypatch.setattr(
        run_tests,
        "image_step",
        lambda: Step("image", "image test", ["sh", "-c", build_script], logs),
    )
    marker = logs / "built"
    after = f"test -e {marker} && echo saw-image"
    return [
        step("molecule cluster/bare", ["sh", "-c", f"test ! -e {marker} && echo before-image"]),
        Step(
            "molecule",
            "molecule cluster/pkgs",
            ["sh", "-c", after],
            logs,
            0,
            run_tests.PACKAGES_IMAGE,
        ),
    ]


def test_scenarios_on_the_packages_image_wait_for_its_build(logs, monkeypatch):
    steps = image_steps(logs, monkeypatch, f"sleep 0.5; touch {logs / 'built'}")
    results = run_tests.run_parallel(steps, 2)
    assert [(s.name, ok) for s, ok, _ in results] == [
        ("image test", True),
        ("molecule cluster/bare", True),  # ran beside the build
        ("molecule cluster/pkgs", True),  # only after it
    ]
    assert (logs / "cluster_pkgs.log").read_text() == "saw-image\n"
    # the build's time is not a scenario's duration
    assert set(json.loads((logs / "durations.json").read_text())) == {
        "molecule cluster/bare",
        "molecule cluster/pkgs",
    }


def test_a_failed_image_build_fails_its_scenarios_without_running_them(logs, monkeypatch, capsys):
    steps = image_steps(logs, monkeypatch, "echo no-mirror; exit 1")
    results = run_tests.run_parallel(steps, 2)
    assert [(s.name, ok) for s, ok, _ in results] == [
        ("image test", False),
        ("molecule cluster/bare", True),
        ("molecule cluster/pkgs", False),
    ]
    assert not (logs / "cluster_pkgs.log").exists()
    assert "its image localhost/ie-debian:trixie-packages was not built" in capsys.readouterr().out


def test_an_image_no_script_builds_is_refused(logs):
    odd = Step("molecule", "molecule cluster/odd", ["true"], logs, 0, "localhost/other:1")
    with pytest.raises(SystemExit, match="localhost/other:1"):
        run_tests.run_parallel([odd], 1)


def test_the_quick_steps_run_beside_the_scenarios_and_are_reported(logs, capsys):
    quick = [
        Step("lint", "ruff", ["sh", "-c", "sleep 0.4; echo linted"], run_tests.ROOT),
        Step(
            "unit", "pytest", ["sh", "-c", "echo a-test-failed; sleep 0.4; exit 1"], run_tests.ROOT
        ),
    ]
    mol = [step("molecule cluster/a", ["sh", "-c", "sleep 0.8; echo a-done"])]
    start = time.monotonic()
    results = run_tests.run_suite(quick, mol, 1)
    elapsed = time.monotonic() - start
    # one after another they would take 1.6 s
    assert elapsed < 1.4
    assert [(s.name, ok) for s, ok, _ in results] == [
        ("ruff", True),
        ("pytest", False),
        ("molecule cluster/a", True),
    ]
    out = capsys.readouterr().out
    assert "linted\n" in out and "a-test-failed\n" in out and "a-done\n" in out
    assert "FAILED  pytest" in out
    assert (logs / "pytest.log").read_text() == "a-test-failed\n"


def test_the_quick_steps_alone_stream_their_output(logs, capfd):
    quick = [Step("lint", "ruff", ["sh", "-c", "echo streamed"], run_tests.ROOT)]
    assert run_tests.run_suite(quick, [], 2)[0][1]
    assert "streamed" in capfd.readouterr().out
    assert not (logs / "ruff.log").exists()


def test_a_quick_step_that_could_not_run_is_a_failure(logs, monkeypatch):
    real = run_tests.run_logged

    def broken(step, lock):
        if step.name == "yamllint":
            raise OSError("no such directory")
        return real(step, lock)

    monkeypatch.setattr(run_tests, "run_logged", broken)
    quick = [
        Step("lint", "yamllint", ["true"], run_tests.ROOT),
        Step("lint", "ansible-lint", ["true"], run_tests.ROOT),
    ]
    mol = [step("molecule cluster/a", ["true"])]
    results = run_tests.run_suite(quick, mol, 1)
    assert [(s.name, ok) for s, ok, _ in results] == [
        ("yamllint", False),
        ("ansible-lint", True),
        ("molecule cluster/a", True),
    ]


FAILED_LOG = """\
INFO     [ceph > converge] Executed: Successful  [+300 s]
INFO     [ceph > side_effect] Executing  [+301 s]
TASK [Probe] *******************************************************************
fatal: [ceph-gs01]: FAILED! => {"msg": "probe failed"}
...ignoring
TASK [A loop, its failures ignored after the last item] ************************
failed: [ceph-gs01] (item=a) => {"msg": "a"}
[ERROR]: Task failed: Module failed
failed: [ceph-gs01] (item=b) => {"msg": "b"}
...ignoring
TASK [HEALTH_OK again] *********************************************************
FAILED - RETRYING: [localhost]: HEALTH_OK again (1 retries left).
fatal: [localhost]: FAILED! => {"attempts": 60, "stdout": "HEALTH_WARN 1 osds down"}
TASK [Later] *******************************************************************
fatal: [localhost]: FAILED! => {"msg": "a second one"}
"""


def test_why_a_step_failed_is_its_first_failure_not_ignored():
    assert run_tests.why_failed(FAILED_LOG) == [
        "INFO     [ceph > side_effect] Executing  [+301 s]",
        "TASK [HEALTH_OK again]",
        'fatal: [localhost]: FAILED! => {"attempts": 60, "stdout": "HEALTH_WARN 1 osds down"}',
    ]
    assert run_tests.why_failed("fatal: [h]: FAILED! => " + "x" * 2000)[0].endswith("x" * 10)
    assert len(run_tests.why_failed("fatal: [h]: FAILED! => " + "x" * 2000)[0]) == 600


def test_why_pytest_failed_and_else_the_last_lines():
    log = "collected 3\nFAILED tests/test_a.py::test_b - AssertionError: x\nERROR t.py::c\n"
    assert run_tests.why_failed(log) == [
        "FAILED tests/test_a.py::test_b - AssertionError: x",
        "ERROR t.py::c",
    ]
    assert run_tests.why_failed("\n".join(str(i) for i in range(20))) == [
        str(i) for i in range(12, 20)
    ]


def test_the_suite_ends_with_why_each_failed_step_failed(logs, monkeypatch, capsys):
    bad = step("molecule cluster/bad", ["sh", "-c", f"printf %s '{FAILED_LOG}'; exit 2"])
    good = step("molecule cluster/good", ["true"])
    monkeypatch.setattr(run_tests, "scenarios", lambda role, scenario: [bad, good])
    monkeypatch.setattr(sys, "argv", ["run_tests.py", "--only", "molecule"])
    assert run_tests.main() == 1
    out = capsys.readouterr().out
    tail = out[out.index("steps: 1 passed") - 400 :]
    assert "why molecule cluster/bad failed (cluster_bad.log):" in tail
    assert '  fatal: [localhost]: FAILED! => {"attempts": 60' in tail
    assert "why molecule cluster/good" not in out


def test_errors_deep_in_a_long_result_are_quoted():
    row = 'fatal: [localhost]: FAILED! => {"stdout": "' + "x" * 700
    row += '", "stderr": "failed: ... \\"stderr\\": \\"Error EAGAIN: 49 pgs unknown\\", x"}'
    said = run_tests.why_failed("TASK [Upgrade] ***\n" + row + "\n")
    assert said[-1] == "Error EAGAIN: 49 pgs unknown"
    assert len(said[-2]) == 600


def test_pytests_summary_inside_a_failed_tasks_result_is_quoted():
    row = 'fatal: [localhost]: FAILED! => {"cmd": "pytest", "x": "' + "y" * 700
    row += '\\nFAILED tests/test_t.py::test_bad - AssertionError\\n1 failed", "stderr": "Error: "}'
    said = run_tests.why_failed("TASK [Run tests] ***\n" + row + "\n")
    assert said[-1] == "FAILED tests/test_t.py::test_bad - AssertionError"
