"""roles/slurm_controller/files/ie_slurm_metrics.py: Slurm's JSON as the
metrics the alerting rules read."""

from __future__ import annotations

from pathlib import Path

from scripts import load_script, samples

SCRIPT = Path(__file__).resolve().parents[3] / "roles/slurm_controller/files/ie_slurm_metrics.py"
metrics = load_script(SCRIPT, "ie_slurm_metrics")

NODES = {
    "nodes": [
        {"name": "gs01", "state": ["IDLE"], "reason": "", "reason_set_by_user": ""},
        {"name": "gs02", "state": ["MIXED"]},
        # Slurm drained it itself, as SlurmUser
        {"name": "gs03", "state": ["IDLE", "DRAIN"], "reason": "Kill task failed",
         "reason_set_by_user": "slurm"},
        # an admin drained it, with a reason
        {"name": "gs04", "state": ["IDLE", "DRAIN"], "reason": "retire",
         "reason_set_by_user": "root"},
        # down with no reason at all
        {"name": "gs05", "state": ["DOWN", "NOT_RESPONDING"], "reason": ""},
        # its slurmd stopped: it missed a ping, and is not DOWN yet
        {"name": "gs06", "state": ["IDLE", "NOT_RESPONDING"], "reason": ""},
    ]
}  # fmt: skip
SQUEUE = {
    "jobs": [
        {"job_state": ["RUNNING"], "partition": "all", "qos": "normal", "user_name": "student1",
         "tres_alloc_str": "cpu=2,mem=2000M,node=1,billing=2"},
        # a typed GPU: Slurm lists the total and the type; counted once
        {"job_state": ["RUNNING"], "partition": "gpu", "qos": "normal", "user_name": "student1",
         "tres_alloc_str": "cpu=1,mem=1000M,node=1,gres/gpu=1,gres/gpu:tesla=1"},
        {"job_state": ["PENDING"], "partition": "all", "qos": "normal", "user_name": "student2",
         "state_reason": "Resources", "tres_alloc_str": ""},
        {"job_state": ["PENDING"], "partition": "all", "qos": "normal", "user_name": "student2",
         "state_reason": "Resources"},
        {"job_state": ["PENDING"], "partition": "gpu", "qos": "short", "user_name": "student1",
         "state_reason": "BeginTime"},
        {"job_state": ["COMPLETED"], "partition": "all", "qos": "normal", "user_name": "student3"},
    ]
}  # fmt: skip
SDIAG = {"statistics": {"schedule_cycle_last": 1500, "schedule_cycle_mean": 2000,
                        "schedule_cycle_max": 250000}}  # fmt: skip


# sacct --parsable2 User|ElapsedRaw|AllocTRES, one line per allocation
SACCT = """student1|3600|billing=2,cpu=2,mem=2000M,node=1
student1|600|billing=1,cpu=1,gres/gpu=1,gres/gpu:tesla=1,mem=1000M,node=1
student2|100|cpu=4,gres/gpu:tesla=2,mem=4G,node=1
|5|cpu=1
student3|Unknown|cpu=1
"""


def read_all(argv):
    return {"scontrol": NODES, "squeue": SQUEUE, "sdiag": SDIAG, "sacct": SACCT}[argv[0]]


def test_nodes_jobs_and_the_scheduler_become_metrics():
    got = samples(metrics.collect(read_all, "slurm"))
    assert got[("ie_slurm_nodes", (("state", "idle"),))] == 4
    assert got[("ie_slurm_nodes", (("state", "mixed"),))] == 1
    assert got[("ie_slurm_nodes", (("state", "down"),))] == 1
    unavailable = {
        dict(labels)["node"]: dict(labels)
        for (name, labels), v in got.items()
        if name == "ie_slurm_node_unavailable" and v == 1
    }
    assert set(unavailable) == {"gs03", "gs04", "gs05", "gs06"}
    assert unavailable["gs03"]["by_admin"] == "0" and unavailable["gs03"]["state"] == "drain"
    assert unavailable["gs04"]["by_admin"] == "1" and unavailable["gs04"]["reason"] == "retire"
    assert unavailable["gs05"]["by_admin"] == "0"
    assert unavailable["gs05"]["state"] == "down,not_responding"
    assert unavailable["gs06"] == {"node": "gs06", "state": "not_responding", "reason": "",
                                   "by_admin": "0"}  # fmt: skip
    key = (("partition", "all"), ("qos", "normal"), ("state", "pending"))
    assert got[("ie_slurm_jobs", key)] == 2
    assert got[("ie_slurm_jobs_pending", (("partition", "all"), ("reason", "Resources")))] == 2
    assert got[("ie_slurm_jobs_pending", (("partition", "gpu"), ("reason", "BeginTime")))] == 1
    assert got[("ie_slurm_schedule_cycle_seconds", (("stat", "max"),))] == 0.25
    assert all(got[("ie_slurm_metrics_read", (("part", p),))] == 1 for p in
               ("nodes", "jobs", "scheduler", "accounting"))  # fmt: skip


def test_each_students_jobs_cpus_and_gpus_are_metrics():
    got = samples(metrics.collect(read_all, "slurm"))

    def of(name, user, **labels):
        return got[(name, tuple(sorted({"user": user, **labels}.items())))]

    assert of("ie_student_jobs", "student1", state="running") == 2
    assert of("ie_student_jobs", "student1", state="pending") == 1
    assert of("ie_student_jobs", "student2", state="pending") == 2
    assert of("ie_student_jobs", "student2", state="running") == 0
    assert of("ie_student_job_cpus", "student1") == 3  # running jobs only
    assert of("ie_student_job_gpus", "student1") == 1  # gres/gpu counted once
    assert of("ie_student_job_cpus", "student2") == 0
    assert not any(dict(labels).get("user") == "student3" for name, labels in got)  # done
    # accounting: CPUs (GPUs) times the seconds in the window
    assert of("ie_student_cpu_seconds", "student1", window="7d") == 2 * 3600 + 600
    assert of("ie_student_gpu_seconds", "student1", window="7d") == 600
    assert of("ie_student_gpu_seconds", "student2", window="7d") == 2 * 100  # typed only
    assert of("ie_student_cpu_seconds", "student2", window="7d") == 400


def test_the_accounting_window_is_asked_of_sacct():
    asked = []

    def record(argv):
        asked.append(argv)
        return read_all(argv)

    got = samples(metrics.collect(record, "slurm", usage_days=30))
    sacct = next(a for a in asked if a[0] == "sacct")
    assert sacct[sacct.index("--starttime") + 1] == "now-30days"
    assert {"--allusers", "--allocations", "--truncate"} <= set(sacct)
    assert ("ie_student_cpu_seconds", (("user", "student1"), ("window", "30d"))) in got


def test_a_part_that_fails_is_marked_and_the_others_are_still_written(capsys):
    def broken(argv):
        if argv[0] == "sdiag":
            raise RuntimeError("sdiag: Unable to contact slurm controller")
        return read_all(argv)

    got = samples(metrics.collect(broken, "slurm"))
    assert got[("ie_slurm_metrics_read", (("part", "scheduler"),))] == 0
    assert got[("ie_slurm_nodes", (("state", "idle"),))] == 4
    assert not any(name == "ie_slurm_schedule_cycle_seconds" for name, _ in got)
    assert "Unable to contact" in capsys.readouterr().err


def test_the_file_is_written_for_the_textfile_collector(tmp_path, monkeypatch):
    monkeypatch.setattr(metrics, "run", read_all)
    out = tmp_path / "slurm.prom"
    assert metrics.main(["--output", str(out)]) == 0
    text = out.read_text()
    assert 'ie_slurm_node_unavailable{by_admin="1",node="gs04"' in text
    assert [p.name for p in tmp_path.iterdir()] == ["slurm.prom"]
