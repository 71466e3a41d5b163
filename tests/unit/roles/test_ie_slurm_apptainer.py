"""ie-slurm-apptainer (roles/slurm_templates/files), oci.conf's RunTimeRun:
the job's command in the template's sandbox, with exactly the job's
environment from Slurm's env file and none of slurmd's."""

from __future__ import annotations

from pathlib import Path

from scripts import load_script

ROOT = Path(__file__).resolve().parents[3]
runtime = load_script(
    ROOT / "roles" / "slurm_templates" / "files" / "ie-slurm-apptainer", "ie_slurm_apptainer"
)


def test_the_job_environment_is_read_from_the_nul_separated_file():
    data = b"CUDA_VISIBLE_DEVICES=0\0SLURM_JOB_NAME=my job; rm x\0EMPTY=\0A=b=c\0\0junk\0"
    assert runtime.job_environment(data) == {
        b"CUDA_VISIBLE_DEVICES": b"0",
        b"SLURM_JOB_NAME": b"my job; rm x",
        b"EMPTY": b"",
        b"A": b"b=c",
    }


def test_the_command_runs_in_the_sandbox_as_the_user(monkeypatch, tmp_path):
    env = tmp_path / "env"
    env.write_bytes(b"USER=student1\0CUDA_VISIBLE_DEVICES=0\0")
    ran = []
    monkeypatch.setattr(runtime.os, "execve", lambda *a: ran.append(a))
    monkeypatch.setenv("SLURMD_OPTIONS", "--conf-server gs01")
    runtime.main([str(env), "/var/lib/ie-cluster/templates/t", "/var/spool/slurmd/job1/s", "x"])
    [(program, argv, environment)] = ran
    assert program == "/usr/bin/apptainer"
    assert argv == [
        "/usr/bin/apptainer",
        "exec",
        "--userns",
        "--bind",
        "/var/spool/slurmd",
        "/var/lib/ie-cluster/templates/t",
        "/var/spool/slurmd/job1/s",
        "x",
    ]
    # never --fakeroot or anything that would make the student root inside
    assert not any(a.startswith("--fakeroot") or a == "-f" for a in argv)
    assert environment == {b"USER": b"student1", b"CUDA_VISIBLE_DEVICES": b"0"}


def test_too_few_arguments(capsys):
    assert runtime.main(["/env", "/bundle"]) == 2
    assert "usage" in capsys.readouterr().err
