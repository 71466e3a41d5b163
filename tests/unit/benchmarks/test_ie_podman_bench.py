"""The ie-podman benchmark's timing, quoting and report."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import ie_podman


def test_timed_script_prints_nanoseconds_and_keeps_the_exit_status():
    out = subprocess.run(
        ["sh", "-c", ie_podman.timed_script("sleep 0.05")], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert 0.05 <= int(out.stdout) / 1e9 < 5
    failed = subprocess.run(["sh", "-c", ie_podman.timed_script("exit 3")], capture_output=True)
    assert failed.returncode == 3 and failed.stdout == b""


def test_student_commands_run_as_the_student_in_their_home_quoted():
    cmd = ie_podman.student("alice", "sudo -n ie-podman ps --all")
    assert cmd == "runuser -u alice -- sh -c 'cd ~ && sudo -n ie-podman ps --all'"
    assert ie_podman.student("a'b", "x").startswith("runuser -u 'a'\"'\"'b' --")


def test_both_sides_run_the_same_operation_each_round():
    for label, wrapped, plain in ie_podman.pairs(3):
        assert wrapped.split()[0] == plain.split()[0] == label.split()[0]
    run = dict((label, (w, p)) for label, w, p in ie_podman.pairs(3))["run --detach"]
    assert run[0] == run[1] == "run --detach --name ie-bench-3 ie-bench"


def test_both_sides_start_through_the_same_runuser_and_shell(monkeypatch):
    seen = []
    monkeypatch.setattr(
        ie_podman.Host, "seconds", lambda self, command: seen.append(command) or 0.1
    )
    monkeypatch.setattr(ie_podman.Host, "sh", lambda self, script: "")
    ie_podman.measure(ie_podman.Host(None), "alice", 1)
    wrapped, plain = seen[2], seen[3]  # ps --all
    assert wrapped == ie_podman.student("alice", "sudo -n ie-podman ps --all")
    assert plain == ie_podman.student("root", "podman ps --all")


def test_report_prints_medians_and_ratio(capsys):
    ie_podman.report({"ps --all": ([0.3, 0.5, 0.4], [0.1, 0.2, 0.1])}, 3, "this host")
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("ps --all"))
    assert line.split()[-4:] == ["0.400", "0.100", "300", "4.00"]
    with pytest.raises(ValueError):
        ie_podman.ratio(1.0, 0.0)
