"""The container template benchmark: one job script timed with and without
the template, interleaved, and the report."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import template_job


def test_each_job_is_timed_as_the_student_and_waited_for():
    script = template_job.timed("student1", "--container=t")
    assert script.startswith("su - student1 -c ")
    assert "sbatch --wait --quiet -o /dev/null --container=t --wrap true" in script
    assert "date +%s%N" in script


def test_both_kinds_interleaved_and_the_medians_reported(monkeypatch, capsys):
    ran = []

    def fake(container, script):
        ran.append("--container" in script)
        return 2.5 if "--container" in script else 1.0

    monkeypatch.setattr(template_job, "run", fake)
    monkeypatch.setattr(
        sys, "argv", ["template_job.py", "--user", "s", "--template", "t", "--runs", "3"]
    )
    assert template_job.main() == 0
    assert ran == [False, True] * 3
    out = capsys.readouterr().out
    assert "job without a container" in out and "1.00 s" in out and "2.50 s" in out
    assert "the template adds +1.50 s (2.50x)" in out
