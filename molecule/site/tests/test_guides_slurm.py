"""The student guide's Slurm blocks, run as written (issue 25), as a
directory student on the site's gs01: "sample-job", the seeds' sample job
script, and "slurm", the commands around it.

The sample names a SIF and a command as placeholders ([SIF_NAME],
[COMMANDS]); the student fills them in as the guide says, with a SIF made by
``ie-podman sif`` from an image of their own. "slurm" runs line by line, the
job ID that its sbatch line prints in place of <JOBID>; its job runs long
enough for squeue to list it before scancel cancels it. Then the sample is
submitted again and runs to the end: its command's output is in the log
file the sample names, read back on another general server.
"""

import re
import shlex
import sys
import time
from pathlib import Path

import pytest
from students import GS01, GS02, OWNER, as_user, as_user_on, iep, ok

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tools.docs import runnable  # noqa: E402

GUIDE = runnable.blocks(ROOT / "docs" / "student-guide.md")
WORDS = "from-the-guide"
# The student's command inside the container: long enough for squeue.
COMMAND = f"/bin/busybox sh -c 'echo {WORDS} $SLURM_JOB_ID; /bin/busybox sleep 15'"


@pytest.fixture(scope="module")
def sample():
    """sample.sh in the student's home: the guide's sample, filled in."""
    ok(
        as_user(
            OWNER,
            "set -e; rm -rf guidejob; mkdir guidejob; cp /bin/busybox guidejob/;"
            " printf 'FROM scratch\\nCOPY busybox /bin/busybox\\n' > guidejob/Containerfile",
        )
    )
    ok(iep(OWNER, "build --tag guidejob guidejob"))
    sif = ok(iep(OWNER, "sif guidejob")).strip().splitlines()[-1]
    assert sif == f"/home/{OWNER}/guidejob_latest.sif"
    text = GUIDE["sample-job"]
    assert "[SIF_NAME]" in text and "[COMMANDS]" in text
    text = text.replace("[SIF_NAME]", "guidejob_latest.sif").replace("[COMMANDS]", COMMAND)
    ok(as_user(OWNER, f"printf %s {shlex.quote(text)} > sample.sh"))
    yield
    as_user(OWNER, "rm -rf guidejob guidejob_latest.sif sample.sh")
    iep(OWNER, "rmi guidejob")


def job_state(job):
    out = GS01.check_output(f"sacct -n -X -P -j {job} -o State")
    return out.split("\n")[0].split()[0] if out.strip() else ""


def test_the_guides_slurm_commands_run_as_written(sample):
    job = None
    for line in GUIDE["slurm"].splitlines():
        if "<JOBID>" in line:
            assert job, "the block cancels a job before it submitted one"
            line = line.replace("<JOBID>", job)
        out = ok(as_user(OWNER, runnable.script(line + "\n")))
        for _ in range(10):  # slurmdbd has the job a moment after slurmctld
            if not line.startswith("sacct") or re.search(rf"^{job}\s", out, re.M):
                break
            time.sleep(1)
            out = ok(as_user(OWNER, runnable.script(line + "\n")))
        if line.startswith("sbatch "):
            job = re.fullmatch(r"Submitted batch job (\d+)", out.strip()).group(1)
        elif line.startswith("squeue "):
            assert re.search(rf"^\s*{job}\s", out, re.M), out  # still there: it sleeps
        elif line.startswith("sacct"):
            assert re.search(rf"^{job}\s", out, re.M), out
    assert job
    for _ in range(30):
        if job_state(job):
            break
        time.sleep(1)
    assert job_state(job) == "CANCELLED", job_state(job)


def test_the_guides_sample_job_runs_the_students_command_in_their_sif(sample):
    job = ok(as_user(OWNER, "mkdir -p logs && sbatch --parsable sample.sh")).strip()
    for _ in range(120):
        state = job_state(job)
        if state and state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            break
        time.sleep(2)
    assert state == "COMPLETED", state
    log = ok(as_user_on(GS02, OWNER, f"cat logs/sample-{job}.log"))
    assert f"{WORDS} {job}" in log.splitlines()
