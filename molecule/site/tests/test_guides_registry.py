"""The student guide's registry blocks, run as written (issue 25): "registry"
as one student, "sharing" as the two students its comments name, on the
site's gs01 with the department registry (registry01) and the directory's
students (students.py).

The guide's students are s2400001 (the one who shares, "you") and s2400002;
here they are student1 and student2. Each line of "sharing" runs as the
student its comment names, one after the other, and stops at the first
failure, as runnable.script does for a block run by one student.
"""

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
from students import OWNER, THIRD, as_user, iep, ok

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tools.docs import runnable  # noqa: E402

GUIDE = runnable.blocks(ROOT / "docs" / "student-guide.md")
# the guide's login names -> the directory's students
NAMES = {"s2400001": OWNER, "s2400002": THIRD}


def as_written(user, lines):
    """``lines`` of a block as one bash script that stops at its first failing line."""
    text = shlex.quote(runnable.script("\n".join(lines) + "\n"))
    result = as_user(user, f"bash -c {text}")
    assert result.rc == 0, f"the guide's lines failed as {user}:\n{lines}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def web():
    """The image "web" the guide's ie-podman block built, as OWNER, tagged 1.0 too."""
    ok(iep(OWNER, "build --tag web rt"))
    ok(iep(OWNER, "build --tag web:1.0 rt"))
    yield
    for tag in ("web", "web:1.0"):
        iep(OWNER, f"rmi {tag}")
    iep(THIRD, "rmi web:1.0")
    iep(OWNER, f"registry unshare web:1.0 {THIRD}")


def test_the_guides_registry_block_runs_as_written(web):
    out = as_written(OWNER, GUIDE["registry"].splitlines())
    assert f"/{OWNER}/web:latest" in out  # where push put it
    assert f"{OWNER}/web" in out  # search lists it
    images = json.loads(ok(iep(OWNER, "images --format json")))
    assert "web:latest" in [i["image"] for i in images]


def test_the_guides_sharing_block_runs_as_its_two_students(web):
    for line in GUIDE["sharing"].splitlines():
        who = re.search(r"#\s*(you|s24000\d\d):", line)
        assert who, f"the sharing block's line names no student: {line}"
        user = OWNER if who.group(1) == "you" else NAMES[who.group(1)]
        command = line
        for name, student in NAMES.items():
            command = command.replace(name, student)
        as_written(user, [command])
    # what the block left: student2's own copy, and no share any more
    images = json.loads(ok(iep(THIRD, "images --format json")))
    assert "web:1.0" in [i["image"] for i in images]
    ok(iep(THIRD, "rmi web:1.0"))
    again = iep(THIRD, f"pull {OWNER}/web:1.0")
    assert again.rc != 0 and "has not shared" in again.stderr
