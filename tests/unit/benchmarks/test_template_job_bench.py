"""The container template benchmark: one allocation held, the same srun
step timed in it with and without the template (and in an own image),
interleaved, and the report."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import template_job

ROOT = Path(__file__).resolve().parents[3]


def unquoted(script: str) -> str:
    return script.replace("'\"'\"'", "'")


def test_each_step_is_timed_as_the_student_in_the_held_job():
    script = template_job.timed("student1", "42", "/var/lib/ie-cluster/templates/t")
    assert script.startswith("su - student1 -c ")
    assert (
        "srun --jobid=42 --overlap --quiet -n1 --container=/var/lib/ie-cluster/templates/t "
        "/bin/sh -c 'echo started'" in unquoted(script)
    )
    assert "date +%s%N" in script
    assert "--container" not in template_job.timed("student1", "42", "")
    held = unquoted(template_job.hold("student1"))
    assert "sbatch --parsable -o /dev/null -t 30 --wrap 'sleep 1800'" in held


def test_the_paths_are_job_submit_luas():
    # the same constants as job_submit.lua and the runtime (one place each, checked here)
    lua = (ROOT / "roles/slurm_controller/templates/job_submit.lua.j2").read_text()
    assert f'local user_images = "{template_job.USER_IMAGES}"' in lua
    defaults = (ROOT / "roles/slurm_controller/defaults/main.yml").read_text()
    assert f"slurm_controller_templates_dir: {template_job.TEMPLATES_DIR}" in defaults
    # where job_submit.lua points is where the slurm_templates role unpacks
    nodes = (ROOT / "roles/slurm_templates/defaults/main.yml").read_text()
    assert f"slurm_templates_dir: {template_job.TEMPLATES_DIR}" in nodes
    assert template_job.container_path("pytorch") == "/var/lib/ie-cluster/templates/pytorch"
    assert template_job.container_path("s1/img") == "/var/lib/ie-cluster/user-images/s1/img:latest"
    assert template_job.container_path("s1/img:2") == "/var/lib/ie-cluster/user-images/s1/img:2"


def test_the_script_times_one_step(tmp_path, monkeypatch):
    # stand-ins: srun that takes 0.3 s, su that runs the script
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "srun").write_text("#!/bin/sh\nsleep 0.3; echo started\n")
    (bindir / "su").write_text('#!/bin/sh\nshift 2\nexec sh -c "$2"\n')
    for f in bindir.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    seconds = int(template_job.run(None, template_job.timed("me", "1", ""))) / 1e9
    assert 0.3 <= seconds < 1.5


@pytest.mark.parametrize(
    ("rc", "stdout", "stderr", "message"),
    [(0, "srun: error\n", "", "srun: error"), (1, "", "sbatch: error", "sbatch: error")],
)
def test_a_failed_step_stops_the_benchmark(monkeypatch, rc, stdout, stderr, message):
    done = subprocess.CompletedProcess([], rc, stdout, stderr)
    monkeypatch.setattr(template_job.subprocess, "run", lambda *a, **k: done)
    with pytest.raises(SystemExit, match=message):
        template_job.run(None, "x")


def test_the_kinds_interleaved_the_medians_reported_and_the_job_cancelled(monkeypatch, capsys):
    ran = []

    def fake(container, script):
        if "sbatch" in script:
            return "42"
        kind = "own" if "user-images" in script else "tpl" if "--container" in script else "plain"
        ran.append(kind)
        return str({"plain": 10**9, "tpl": 1_250_000_000, "own": 3 * 10**9}[kind])

    cancelled = []
    monkeypatch.setattr(template_job, "run", fake)
    monkeypatch.setattr(template_job.subprocess, "run", lambda argv, **k: cancelled.append(argv))
    argv = ["template_job.py", "--user", "s", "--template", "t", "--runs", "3"]
    monkeypatch.setattr(sys, "argv", [*argv, "--own-image", "student1/own:1"])
    assert template_job.main() == 0
    assert ran == ["plain", "tpl", "own"] * 3
    assert cancelled == [["scancel", "42"]]
    out = capsys.readouterr().out
    assert "step without a container" in out and "1.000 s" in out and "1.250 s" in out
    assert "template t adds +0.250 s (1.25x)" in out
    assert "own image student1/own:1 adds +2.000 s (3.00x)" in out
