"""Container templates for batch jobs (issue 27), on the site's cluster.

The test builds two images itself (scratch, static busybox, a marker file
each), pushes them to the department registry as an admin would, registers
them as templates with `site.yml --tags slurm_templates` (the inventory's
list given with -e), and then, as a directory student: lists them, runs a
job in each, sees the defaults applied, the stand-in GPU only where the
template or the job asks, the home and the working directory inside, and an
unknown container refused at submit time with nothing queued. A student's
own image, built with ie-podman and pushed to the registry, runs their job
(again after a push under the same tag), and another student naming it is
refused at submit time. Last, in one run, one template's image pushed again
under its tag is picked up and the other template, taken out of the list,
is gone from every node.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from students import GS01, GS02, LIMITED, OWNER, as_user, iep, ok, uid

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tools.docs import runnable  # noqa: E402

REGISTRY = "registry01:5000"
# A shell and the usual commands (busybox's), and the account files that
# Apptainer fills in with the student's entry.
INSTALL = (
    'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin'
    ' && mkdir -p /etc && touch /etc/passwd /etc/group"]'
)
# The seeds' sample job is a bash script; busybox has no bash, its sh runs it.
BASH = '#!/bin/sh\nexec /bin/sh "$@"\n'
AUTH = "/etc/ie/ie-podman-registry-auth.json"
TEMPLATES_DIR = "/var/lib/ie-cluster/templates"
TEMPLATES = [
    {
        "name": "marker-gpu",
        "image": "templates/marker-gpu:1",
        "cpus": 2,
        "mem": "300M",
        "gpus": "tesla:1",
        "time": "0:10:00",
        "comment": "busybox, a marker, a GPU",
    },
    {"name": "marker-plain", "image": "templates/marker-plain:1", "comment": "busybox, a marker"},
]


def site_yml(templates, *options, passes=True):
    """site.yml --tags slurm_templates with the inventory's list ``templates``."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    extra = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "slurm-templates.json")
    with open(extra, "w") as f:
        json.dump({"slurm_templates": templates}, f)
    done = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            f"{scenario}/inventory/production",
            "-i",
            inventory,
            "--tags",
            "slurm_templates",
            "-e",
            f"@{extra}",
            *options,
            f"{scenario}/converge.yml",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) == passes, done.stdout[-6000:] + done.stderr[-2000:]
    return done.stdout + done.stderr  # a failed task's [ERROR] is on stderr


def changed_on(output, host):
    return int(re.search(rf"^{host}\s+: ok=\d+\s+changed=(\d+)", output, re.M).group(1))


def build_template(template, marker):
    """``template``'s image with ``marker`` in /marker, built and pushed to
    the registry on gs01, as an admin would."""
    where = f"/root/{template['name']}"
    ok(
        GS01.run(
            f"set -e; rm -rf {where}; mkdir {where};"
            f" cp /bin/busybox {where}/; echo {marker} > {where}/marker;"
            f" printf %s {shlex.quote(BASH)} > {where}/bash;"
            f" chmod 755 {where}/bash;"
            " printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY marker /marker\\n%s\\n"
            "COPY bash /bin/bash\\n'"
            f" {shlex.quote(INSTALL)}"
            f" > {where}/Containerfile;"
            f" podman build -q -t {REGISTRY}/{template['image']} {where};"
            f" podman push -q --authfile {AUTH} {REGISTRY}/{template['image']}"
        )
    )


@pytest.fixture(scope="module")
def templates():
    for t in TEMPLATES:
        build_template(t, t["name"])
    first = site_yml(TEMPLATES)
    yield first
    site_yml([])
    for t in TEMPLATES:
        GS01.run(f"podman rmi -f {REGISTRY}/{t['image']}; rm -rf /root/{t['name']}")


def job(script, *options):
    """Submit ``script`` as the student, wait for its end; (job id, output)."""
    name = f"tpl{time.monotonic_ns()}"
    ok(as_user(OWNER, f"mkdir -p {name} && printf %s {shlex.quote(script)} > {name}/job.sh"))
    out = ok(
        as_user(
            OWNER,
            f"cd {name} && sbatch --parsable --wait -o out.txt -e err.txt"
            f" {' '.join(options)} job.sh",
        )
    )
    jobid = out.strip().split(";")[0]
    return jobid, ok(as_user(OWNER, f"cat {name}/out.txt; rm -rf {name}"))


def test_every_node_holds_the_templates_and_students_list_them(templates):
    for node in (GS01, GS02):
        for t in TEMPLATES:
            link = node.file(f"{TEMPLATES_DIR}/{t['name']}")
            assert link.is_symlink and link.linked_to.startswith(f"{TEMPLATES_DIR}/{t['name']}@")
            assert (
                node.file(f"{TEMPLATES_DIR}/{t['name']}/marker").content_string.strip()
                == (t["name"])
            )
    # the student guide's block "templates", as written
    guide = runnable.blocks(ROOT / "docs" / "student-guide.md")["templates"]
    out = ok(as_user(OWNER, f"bash -c {shlex.quote(runnable.script(guide))}"))
    assert "marker-gpu" in out and '"ref"' in out, out
    table = ok(as_user(OWNER, "stemplates")).splitlines()
    assert table[0].split()[:2] == ["TEMPLATE", "IMAGE"]
    assert any(
        line.split()[:6]
        == ["marker-gpu", "templates/marker-gpu:1", "2", "300M", "tesla:1", "0:10:00"]
        for line in table
    ), table
    listed = json.loads(ok(as_user(OWNER, "stemplates --format json")))
    assert [t["name"] for t in listed] == ["marker-gpu", "marker-plain"]
    assert listed[1]["ref"] == f"{REGISTRY}/templates/marker-plain:1"


def test_the_same_list_again_changes_nothing(templates):
    again = site_yml(TEMPLATES)
    for host in ("gs01", "gs02"):
        assert changed_on(again, host) == 0, again[-3000:]


def test_bad_templates_fail_in_the_preflight_and_change_nothing(templates):
    listing = GS02.file("/etc/ie/slurm-templates.json").content_string
    bad = [
        {**TEMPLATES[0], "cpus": 4096, "gpus": "a100:1"},
        {**TEMPLATES[1], "image": "docker.io/library/busybox:1"},
        TEMPLATES[1],
    ]
    out = site_yml(bad, passes=False)
    assert "PLAY [Preflight" in out and "PLAY [Slurm - container templates]" not in out
    said = re.sub(r"\s+", " ", out).replace("''", "'")  # as YAML folds and quotes it
    for message in (
        "marker-gpu: cpus 4096 is more than any node has",
        "marker-gpu: no node has GPUs of type 'a100'",
        "marker-plain: image 'docker.io/library/busybox:1' is not an image of the department",
        "the template marker-plain is listed twice",
    ):
        assert message in said, out[-4000:]
    assert GS02.file("/etc/ie/slurm-templates.json").content_string == listing


def test_check_mode_changes_nothing(templates):
    assert all(changed_on(site_yml(TEMPLATES, "--check"), h) == 0 for h in ("gs01", "gs02"))
    # the list emptied, in check mode: reported, not done
    checked = site_yml([], "--check")
    assert changed_on(checked, "gs01") > 0, checked[-3000:]
    for node in (GS01, GS02):
        for t in TEMPLATES:
            assert node.file(f"{TEMPLATES_DIR}/{t['name']}").is_symlink
    assert len(json.loads(ok(as_user(OWNER, "stemplates --format json")))) == len(TEMPLATES)


def test_a_template_job_runs_in_its_image_as_the_student(templates):
    script = (
        "#!/bin/sh\n#SBATCH --container=marker-plain\n"
        "cat /marker; id -u; id -g; pwd; echo written-inside > $HOME/tpl-home.txt\n"
        "echo CVD=${CUDA_VISIBLE_DEVICES:-none}; head -c1 /dev/nvidia0 2>&1 | tail -n1\n"
    )
    _, out = job(script)
    lines = out.splitlines()
    assert lines[0] == "marker-plain", out
    assert lines[1] == str(uid(OWNER)) and lines[2] != "0", out
    assert lines[3].startswith(f"/home/{OWNER}/tpl"), out  # the job's working directory
    assert "CVD=none" in out and "Operation not permitted" in out  # no GPU asked, none given
    assert ok(as_user(OWNER, "cat tpl-home.txt; rm tpl-home.txt")).strip() == "written-inside"


# Inside the container: the memory limit of the job's cgroup, as the kernel
# shows it there (cgroup v2's memory.max or v1's memory.limit_in_bytes, in
# the job's directory, wherever the node's hierarchy puts it), and the CPUs
# Slurm gave each task.
LIMITS = (
    'for f in $(find /sys/fs/cgroup -maxdepth 10 -path "*/job_$SLURM_JOB_ID/memory.max"'
    ' -o -path "*/job_$SLURM_JOB_ID/memory.limit_in_bytes"); do echo "MEM=$(cat $f)"; done\n'
    "echo CPUS=$SLURM_CPUS_ON_NODE\n"
)


def memory_limit(out):
    """The bytes of the job's memory limit that LIMITS printed."""
    found = re.findall(r"^MEM=(\d+)$", out, re.M)
    assert len(found) == 1, out
    return int(found[0])


def test_a_templates_defaults_apply_and_the_jobs_own_win(templates):
    script = "#!/bin/sh\n#SBATCH --container=marker-gpu\ncat /marker\n"
    script += "echo CVD=$CUDA_VISIBLE_DEVICES; head -c1 /dev/nvidia0 2>&1 | tail -n1\n"
    script += LIMITS
    jobid, out = job(script)
    assert out.startswith("marker-gpu") and "CVD=0" in out, out
    # the template's defaults, as limits inside the container
    assert memory_limit(out) == 300 * 1024 * 1024 and "CPUS=2" in out, out
    assert "No such device or address" in out  # the stand-in GPU, allowed by the cgroup
    shown = GS01.check_output(f"scontrol show job {jobid}")
    assert "TimeLimit=00:10:00" in shown and "QOS=short" in shown, shown
    assert re.search(r"\bMinMemoryNode=300M\b", shown), shown
    assert "CPUs/Task=2" in shown and "TresPerNode=gres/gpu:tesla:1" in shown, shown
    assert f"Container={TEMPLATES_DIR}/marker-gpu" in shown, shown
    jobid, out = job(script, "--time=0:05:00", "--cpus-per-task=1", "--mem=200M")
    assert memory_limit(out) == 200 * 1024 * 1024 and "CPUS=1" in out, out
    shown = GS01.check_output(f"scontrol show job {jobid}")
    assert "TimeLimit=00:05:00" in shown and re.search(r"\bNumCPUs=1\b", shown), shown
    assert re.search(r"\bMinMemoryNode=200M\b", shown), shown


def test_the_seeds_sample_job_runs_in_a_template(templates):
    """The guide's sample (the seeds'), with one line added and `singularity
    exec` taken out: its commands run inside the template, with the GPU the
    script asks for."""
    text = runnable.blocks(ROOT / "docs" / "student-guide.md")["sample-job"]
    assert "\nsingularity exec --nv [SIF_NAME] [COMMANDS]\n" in text
    script = text.replace(
        "#SBATCH --job-name sample\n",
        "#SBATCH --job-name sample\n#SBATCH --container=marker-plain\n",
    ).replace(
        "singularity exec --nv [SIF_NAME] [COMMANDS]", "cat /marker; echo CVD=$CUDA_VISIBLE_DEVICES"
    )
    jobid, out = job(script, "-e", "out.txt")
    assert out.splitlines() == ["marker-plain", "CVD=0"], out
    shown = GS01.check_output(f"scontrol show job {jobid}")
    assert "CPUs/Task=8" in shown and "JobName=sample" in shown, shown


def test_a_job_without_a_template_is_as_before(templates):
    jobid, out = job("#!/bin/bash\ncat /marker 2>&1; grep -c . /etc/os-release\n")
    assert "No such file" in out and int(out.splitlines()[-1]) > 1, out
    assert TEMPLATES_DIR not in GS01.check_output(f"scontrol show job {jobid}")


@pytest.mark.parametrize("container", ["nope", "/home/student1", "../marker-gpu"])
def test_another_container_is_refused_at_submit_and_nothing_is_queued(templates, container):
    before = GS01.check_output("squeue -h -o %i | sort").split()
    refused = as_user(OWNER, f"sbatch --container={shlex.quote(container)} --wrap true")
    assert refused.rc != 0
    assert "there is no such container template" in refused.stderr, refused.stderr
    assert "marker-gpu, marker-plain" in refused.stderr
    assert GS01.check_output("squeue -h -o %i | sort").split() == before


def build_own(marker):
    """OWNER's image ownimg:1 with ``marker``, built with ie-podman and pushed;
    the local copy removed, so that a job's node pulls it from the registry."""
    ok(
        as_user(
            OWNER,
            "set -e; rm -rf ownimg; mkdir ownimg; cp /bin/busybox ownimg/;"
            f" echo {marker} > ownimg/marker;"
            " printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY marker /marker\\n%s\\n'"
            f" {shlex.quote(INSTALL)} > ownimg/Containerfile",
        )
    )
    ok(iep(OWNER, "build --tag ownimg:1 ownimg"))
    ok(iep(OWNER, "registry push ownimg:1"))
    for node in (GS01, GS02):
        node.run(f"su - {OWNER} -c 'sudo -n ie-podman rmi ownimg:1'")


@pytest.fixture(scope="module")
def own_image():
    build_own("own-image-1")
    yield
    as_user(OWNER, "rm -rf ownimg")
    for node in (GS01, GS02):
        node.run(f"su - {OWNER} -c 'sudo -n ie-podman rmi ownimg:1'")


OWN_JOB = "#!/bin/sh\n#SBATCH --container=student1/ownimg:1\ncat /marker; id -u\n"


def test_a_students_own_image_runs_their_job(templates, own_image):
    assert OWNER == "student1"
    jobid, out = job(OWN_JOB, "-e", "out.txt")
    assert out.splitlines()[:2] == ["own-image-1", str(uid(OWNER))], out
    shown = GS01.check_output(f"scontrol show job {jobid}")
    assert f"Container=/var/lib/ie-cluster/user-images/{OWNER}/ownimg:1" in shown, shown
    node = re.search(r"\bBatchHost=(\S+)", shown).group(1)
    host = GS01 if node == "gs01" else GS02 if node == "gs02" else None
    if host is not None:  # the SIF's directory went with the job
        assert not host.run("ls -d /tmp/ie-slurm-image-* 2>/dev/null").stdout.strip()
    # pushed again under the same tag: the next job runs the new image
    build_own("own-image-2")
    _, out = job(OWN_JOB, "-e", "out.txt")
    assert out.splitlines()[0] == "own-image-2", out


def test_another_students_image_is_refused_at_submit(templates, own_image):
    before = GS01.check_output("squeue -h -o %i | sort").split()
    refused = as_user(LIMITED, f"sbatch --container={OWNER}/ownimg:1 --wrap true")
    assert refused.rc != 0
    assert f"--container={OWNER}/ownimg:1: that is not your image" in refused.stderr
    assert f"--container={LIMITED}/IMAGE[:TAG]" in refused.stderr, refused.stderr
    assert GS01.check_output("squeue -h -o %i | sort").split() == before
    # A step is not seen by job_submit.lua: naming the path itself, in a job
    # of their own, gets the runtime's refusal, and ie-podman (which would
    # read only the caller's namespace anyway) is never asked.
    path = f"/var/lib/ie-cluster/user-images/{OWNER}/ownimg:1"
    audit = "/var/log/ie-podman/audit.log"
    lines = int(GS01.check_output(f"cat {audit} 2>/dev/null | wc -l"))
    held = ok(as_user(LIMITED, "sbatch --parsable -w gs01 -o /dev/null --wrap 'sleep 300'"))
    jobid = held.strip().split(";")[0]
    for _ in range(100):
        if GS01.check_output(f"squeue -h -j {jobid} -o %t") == "R":
            break
        time.sleep(0.2)
    step = as_user(
        LIMITED, f"srun -Q --jobid={jobid} --overlap --container={path} /bin/sh -c 'cat /marker'"
    )
    GS01.run(f"scancel {jobid}")
    assert step.rc != 0 and f"not an image of {LIMITED}'s" in step.stderr, step.stderr
    assert "own-image" not in step.stdout
    assert int(GS01.check_output(f"cat {audit} 2>/dev/null | wc -l")) == lines


def test_a_new_image_is_picked_up_and_a_template_off_the_list_is_gone(templates):
    """One run: marker-plain pushed again under the same tag, marker-gpu
    taken off the list."""
    link = f"{TEMPLATES_DIR}/marker-plain"
    before = {node: node.file(link).linked_to for node in (GS01, GS02)}
    build_template(TEMPLATES[1], "marker-plain-2")
    out = site_yml(TEMPLATES[1:])
    for node, host in ((GS01, "gs01"), (GS02, "gs02")):
        assert changed_on(out, host) > 0, out[-3000:]
        assert node.file(link).linked_to != before[node]
        assert node.file(before[node]).is_directory  # kept for jobs that started on it
        assert not node.file(f"{TEMPLATES_DIR}/marker-gpu").exists
        assert not node.run(f"ls -d {TEMPLATES_DIR}/marker-gpu@*").stdout.strip()
    assert [t["name"] for t in json.loads(ok(as_user(OWNER, "stemplates --format json")))] == [
        "marker-plain"
    ]
    _, out = job("#!/bin/sh\n#SBATCH --container=marker-plain\ncat /marker\n")
    assert out.splitlines()[0] == "marker-plain-2", out
    refused = as_user(OWNER, "sbatch --container=marker-gpu --wrap true")
    assert refused.rc != 0 and "The templates: marker-plain " in refused.stderr
