"""ie-slurm-apptainer (roles/slurm_templates/files), oci.conf's RunTimeRun:
the job's command in the template's sandbox, or in a SIF of the student's
own image that ie-podman made for them, with exactly the job's environment
from Slurm's env file and none of slurmd's."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest
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
        "--quiet",
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


def test_a_template_is_not_an_own_image():
    assert runtime.own_image("/var/lib/ie-cluster/templates/t", "student1") is None
    assert runtime.own_image("/var/lib/ie-cluster/user-images2/student1/x:1", "student1") is None


def test_an_own_image_is_named_by_its_path():
    path = f"{runtime.USER_IMAGES}/student1/web:1.0"
    assert runtime.own_image(path, "student1") == "web:1.0"


@pytest.mark.parametrize(
    "rest", ["student2/web:1", "student1/a/b:1", "student1/", "student1", "../student1/web"]
)
def test_another_students_image_or_a_bad_path_is_refused(rest):
    with pytest.raises(PermissionError):
        runtime.own_image(f"{runtime.USER_IMAGES}/{rest}", "student1")


class Done:
    def __init__(self, rc):
        self.returncode = rc


def test_the_sif_is_made_by_ie_podman_as_the_caller(tmp_path):
    calls = []

    def run(argv, **kw):
        calls.append((argv, kw))
        return Done(0)

    sif = runtime.make_sif("web:1", str(tmp_path), run=run)
    assert sif == str(tmp_path / "image.sif")
    # through sudo, never with a password prompt: ie-podman knows the caller
    # from sudo and takes the image from their own namespace only
    assert [c[0] for c in calls] == [
        ["/usr/bin/sudo", "-n", "/usr/local/bin/ie-podman", "pull", "web:1"],
        ["/usr/bin/sudo", "-n", "/usr/local/bin/ie-podman", "sif", "--force", "web:1", sif],
    ]
    assert all(c[1]["stdout"] == runtime.subprocess.DEVNULL for c in calls)


def test_a_refused_pull_stops_before_the_sif(tmp_path):
    calls = []

    def run(argv, **kw):
        calls.append(argv)
        return Done(4)

    assert runtime.make_sif("web:1", str(tmp_path), run=run) == 4
    assert len(calls) == 1


def test_an_own_image_job_runs_in_its_sif_and_the_directory_goes(monkeypatch, tmp_path):
    env = tmp_path / "env"
    env.write_bytes(b"USER=student1\0")
    made, ran = [], []

    def make_sif(image, directory, locale):
        made.append((image, directory))
        return os.path.join(directory, "image.sif")

    monkeypatch.setattr(runtime, "make_sif", make_sif)
    monkeypatch.setattr(runtime, "run_child", lambda argv, e, c: ran.append((argv, e)) or 3)
    login = pwd.getpwuid(os.getuid()).pw_name
    rc = runtime.main([str(env), f"{runtime.USER_IMAGES}/{login}/web:1", "/spool/s", "x"])
    assert rc == 3
    [(image, directory)] = made
    assert image == "web:1"
    [(argv, environment)] = ran
    assert argv == runtime.command(os.path.join(directory, "image.sif"), ["/spool/s", "x"])
    assert environment == {b"USER": b"student1"}
    assert not os.path.exists(directory)


def test_an_own_image_that_cannot_be_made_fails_the_job(monkeypatch, tmp_path, capsys):
    env = tmp_path / "env"
    env.write_bytes(b"")
    monkeypatch.setattr(runtime, "make_sif", lambda image, directory, locale: 4)
    monkeypatch.setattr(runtime, "run_child", lambda *a: pytest.fail("ran"))
    login = pwd.getpwuid(os.getuid()).pw_name
    assert runtime.main([str(env), f"{runtime.USER_IMAGES}/{login}/web:1", "x"]) == 4
    assert "cannot run the job in your image web:1" in capsys.readouterr().err


def test_another_students_path_fails_the_job_before_anything_runs(monkeypatch, tmp_path, capsys):
    env = tmp_path / "env"
    env.write_bytes(b"")
    monkeypatch.setattr(runtime, "make_sif", lambda *a: pytest.fail("pulled"))
    assert runtime.main([str(env), f"{runtime.USER_IMAGES}/not-me-at-all/web:1", "x"]) == 1
    assert "not an image of" in capsys.readouterr().err


def test_the_childs_status_as_a_shell_gives_it():
    assert runtime.run_child(["/bin/sh", "-c", "exit 7"], {}, []) == 7
    assert runtime.run_child(["/bin/sh", "-c", "kill -TERM $$"], {}, []) == 143


def test_slurms_signal_goes_to_the_child_or_ends_the_runtime_cleanly(tmp_path):
    # the runtime itself, as slurmstepd starts it, made to wait in ie-podman
    # (a stand-in sudo), then signalled as RunTimeKill does
    import signal
    import subprocess
    import sys
    import time

    script = ROOT / "roles" / "slurm_templates" / "files" / "ie-slurm-apptainer"
    env = tmp_path / "env"
    env.write_bytes(b"")
    sudo = tmp_path / "sudo"
    sudo.write_text("#!/bin/sh\nexec sleep 30\n")
    sudo.chmod(0o755)
    code = (
        "import runpy, sys, tempfile;"
        f"sys.argv = ['x', {str(env)!r}, sys.argv[1], 'true'];"
        f"tempfile.tempdir = {str(tmp_path)!r};"
        f"g = runpy.run_path({str(script)!r}, run_name='ie');"
        f"g['SUDO'] = {str(sudo)!r};"
        "g['make_sif'].__globals__.update(g);"
        "sys.exit(g['main'](sys.argv[1:]))"
    )
    login = pwd.getpwuid(os.getuid()).pw_name
    bundle = f"{runtime.USER_IMAGES}/{login}/web:1"
    proc = subprocess.Popen([sys.executable, "-c", code, bundle])
    for _ in range(100):
        if list(tmp_path.glob("ie-slurm-image-*")):
            break
        time.sleep(0.05)
    assert list(tmp_path.glob("ie-slurm-image-*"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert not list(tmp_path.glob("ie-slurm-image-*"))  # the directory went with it


def test_ie_podman_gets_the_jobs_locale_and_a_plain_path(tmp_path):
    envs = []

    def run(argv, **kw):
        envs.append(kw["env"])
        return Done(0)

    locale = runtime.locale_of({b"LANG": b"ja_JP.UTF-8", b"SECRET": b"x", b"LC_ALL": b""})
    assert locale == {"LANG": "ja_JP.UTF-8"}
    runtime.make_sif("web:1", str(tmp_path), locale, run=run)
    assert envs == [{"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "ja_JP.UTF-8"}] * 2


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ({}, "cannot run the job in your image web:1"),
        ({"LANG": "en_US.UTF-8"}, "cannot run the job in your image web:1"),
        ({"LANG": "ja_JP.UTF-8"}, "あなたのイメージ web:1 でジョブを実行できません"),
        ({"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "C"}, "cannot run the job"),
        ({"LANG": "C", "LC_ALL": "ja_JP.UTF-8"}, "あなたのイメージ"),
    ],
)
def test_the_runtimes_messages_are_in_the_jobs_language(locale, said):
    assert said in runtime.message("cannot", locale, image="web:1")


def test_a_japanese_job_is_told_in_japanese(monkeypatch, tmp_path, capsys):
    env = tmp_path / "env"
    env.write_bytes(b"LANG=ja_JP.UTF-8\0")
    monkeypatch.setattr(runtime, "make_sif", lambda *a: pytest.fail("pulled"))
    assert runtime.main([str(env), f"{runtime.USER_IMAGES}/not-me-at-all/web:1", "x"]) == 1
    err = capsys.readouterr().err
    assert (
        f"not-me-at-all/web:1: {pwd.getpwuid(os.getuid()).pw_name} のイメージではありません" in err
    )
