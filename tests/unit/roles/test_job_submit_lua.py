"""The slurm_controller role's job_submit.lua, rendered as the role renders
it and run by Lua 5.4 with a stand-in of Slurm's `slurm` table: the QOS tier
of the time limit, and the container templates (issue 27) - a template's
name becomes its sandbox's path with its defaults where the job does not
ask; a student's own image (LOGIN/IMAGE[:TAG]) becomes the path that tells
the runtime to fetch it, and another student's is refused; any other
container is refused before the job is queued."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
from scripts import load_script

from filter_plugins.slurm import slurm_templates, slurm_time_minutes

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "roles" / "slurm_controller" / "templates" / "job_submit.lua.j2"
LUA = shutil.which("lua5.4")
pytestmark = pytest.mark.skipif(LUA is None, reason="lua5.4 is installed by make setup")

TEMPLATES = [
    {
        "name": "pytorch",
        "image": "templates/pytorch:2.5",
        "cpus": 4,
        "mem": "8G",
        "gpus": "tesla:1",
        "time": "2:00:00",
        "comment": "PyTorch",
    },
    {"name": "busybox", "image": "templates/busybox:1"},
]
# Slurm pushes unset numbers as its NO_VAL values (lua numbers).
HARNESS = r"""
slurm = { SUCCESS = 0, ERROR = -1, NO_VAL = 4294967294, INFINITE = 4294967295,
          NO_VAL16 = 65534, NO_VAL64 = 18446744073709551614.0 }
local told = {}
function slurm.log_user(fmt, ...) told[#told + 1] = string.format(fmt, ...) end
dofile(arg[1])
local fields = { "container", "user_name", "cpus_per_task", "min_mem_per_node", "min_mem_per_cpu",
                 "tres_per_node", "tres_per_job", "time_limit", "qos" }
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if v == nil then return "null" end
  return string.format("%.0f", v)
end
for line in io.lines(arg[2]) do
  local job = load("return " .. line)()
  local rc = slurm_job_submit(job, {}, 5001)
  local out = {}
  for _, f in ipairs(fields) do out[#out + 1] = string.format("%q: %s", f, show(job[f])) end
  out[#out + 1] = string.format('"rc": %d', rc)
  out[#out + 1] = string.format('"told": %q', table.concat(told, " | "))
  told = {}
  print("{" .. table.concat(out, ", ") .. "}")
end
"""
UNSET = (
    "cpus_per_task = slurm.NO_VAL16, min_mem_per_node = slurm.NO_VAL64, "
    "min_mem_per_cpu = slurm.NO_VAL64, time_limit = slurm.NO_VAL"
)


def render(templates=TEMPLATES) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True)
    env.filters["slurm_time_minutes"] = slurm_time_minutes
    return env.from_string(TEMPLATE.read_text()).render(
        ansible_managed="test",
        slurm_controller_qos_tiers=[
            {"name": "short", "max_wall": "01:00:00"},
            {"name": "day", "max_wall": "1-00:00:00"},
            {"name": "long", "max_wall": ""},
        ],
        slurm_controller_default_time="1-00:00:00",
        slurm_controller_templates=slurm_templates(templates, "registry01:5000", "tesla"),
        slurm_controller_templates_dir="/var/lib/ie-cluster/templates",
    )


def submit(tmp_path, *jobs: str, templates=TEMPLATES) -> list[dict]:
    script, harness, lines = tmp_path / "job_submit.lua", tmp_path / "h.lua", tmp_path / "jobs"
    script.write_text(render(templates))
    harness.write_text(HARNESS)
    lines.write_text("".join("{" + job + "}\n" for job in jobs))
    out = subprocess.run(
        [LUA, str(harness), str(script), str(lines)], capture_output=True, text=True, check=True
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_a_job_without_a_container_is_as_before(tmp_path):
    [job] = submit(tmp_path, UNSET)
    assert job["container"] is None and job["cpus_per_task"] == 65534
    assert job["tres_per_node"] is None and job["qos"] == "day" and job["rc"] == 0
    [short] = submit(tmp_path, UNSET.replace("time_limit = slurm.NO_VAL", "time_limit = 30"))
    assert short["qos"] == "short" and short["time_limit"] == 30


def test_a_template_gives_its_path_and_its_defaults(tmp_path):
    [job] = submit(tmp_path, UNSET + ', container = "pytorch"')
    assert job["rc"] == 0, job["told"]
    assert job["container"] == "/var/lib/ie-cluster/templates/pytorch"
    assert job["cpus_per_task"] == 4 and job["min_mem_per_node"] == 8192
    assert job["tres_per_node"] == "gres/gpu:tesla:1" and job["time_limit"] == 120
    # the template's time limit decides the QOS tier, as a job's own does
    assert job["qos"] == "day"


def test_the_jobs_own_requests_win(tmp_path):
    own = (
        'container = "pytorch", cpus_per_task = 1, min_mem_per_node = slurm.NO_VAL64, '
        'min_mem_per_cpu = 100, time_limit = 20, tres_per_job = "gres/gpu:tesla:2"'
    )
    [job] = submit(tmp_path, own)
    assert job["rc"] == 0
    assert job["cpus_per_task"] == 1 and job["min_mem_per_cpu"] == 100
    assert job["min_mem_per_node"] != 8192 and job["time_limit"] == 20
    assert job["tres_per_node"] is None and job["tres_per_job"] == "gres/gpu:tesla:2"
    assert job["qos"] == "short"


def test_a_template_without_defaults_leaves_slurms_own(tmp_path):
    [job] = submit(tmp_path, UNSET + ', container = "busybox"')
    assert job["container"] == "/var/lib/ie-cluster/templates/busybox"
    assert job["cpus_per_task"] == 65534 and job["time_limit"] == 4294967294
    assert job["tres_per_node"] is None and job["qos"] == "day"


@pytest.mark.parametrize("container", ["nope", "/home/student1/rootfs", "../pytorch", "PYTORCH"])
def test_any_other_container_is_refused_with_the_list(tmp_path, container):
    [job] = submit(tmp_path, UNSET + f", container = {json.dumps(container)}")
    assert job["rc"] == -1
    assert f"--container={container}: there is no such container template" in job["told"]
    assert "The templates: busybox, pytorch (stemplates lists them" in job["told"]


def test_without_templates_every_container_is_refused(tmp_path):
    [job] = submit(tmp_path, UNSET + ', container = "pytorch"', templates=[])
    assert job["rc"] == -1 and "The templates: none" in job["told"]


MINE = UNSET + ', user_name = "student1"'
RUNTIME = load_script(
    ROOT / "roles" / "slurm_templates" / "files" / "ie-slurm-apptainer", "ie_slurm_apptainer"
)


@pytest.mark.parametrize(
    ("container", "path"),
    [("student1/web:1.0", "student1/web:1.0"), ("student1/my_img", "student1/my_img:latest")],
)
def test_a_students_own_image_becomes_the_runtimes_path(tmp_path, container, path):
    [job] = submit(tmp_path, MINE + f", container = {json.dumps(container)}")
    assert job["rc"] == 0, job["told"]
    assert job["container"] == f"{RUNTIME.USER_IMAGES}/{path}"
    # no template's defaults: Slurm's own, and the policy's tier
    assert job["cpus_per_task"] == 65534 and job["tres_per_node"] is None
    assert job["qos"] == "day"


@pytest.mark.parametrize("user", ["student3", None])
def test_another_students_image_is_refused(tmp_path, user):
    who = f', user_name = "{user}"' if user else ""
    [job] = submit(tmp_path, UNSET + who + ', container = "student1/web:1"')
    assert job["rc"] == -1
    assert "--container=student1/web:1: that is not your image" in job["told"]
    assert f"--container={user or 'LOGIN'}/IMAGE[:TAG]" in job["told"]


@pytest.mark.parametrize(
    "image",
    ["Web", "web:", "-web", "web-", "web:1:2", "web@sha256:00", "w" * 129, "web:" + "1" * 129],
)
def test_a_bad_image_name_is_refused(tmp_path, image):
    [job] = submit(tmp_path, MINE + f", container = {json.dumps('student1/' + image)}")
    assert job["rc"] == -1 and "is not an image name ie-podman accepts" in job["told"]


@pytest.mark.parametrize("container", ["student1/web/x", "/student1/web", "student1/"])
def test_more_or_less_than_login_and_image_is_no_image(tmp_path, container):
    [job] = submit(tmp_path, MINE + f", container = {json.dumps(container)}")
    assert job["rc"] == -1 and "there is no such container template" in job["told"]
