"""roles/slurm_controller/files/ie_slurm_metrics.py: Slurm's JSON as the
metrics the alerting rules read."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

SCRIPT = Path(__file__).resolve().parents[3] / "roles/slurm_controller/files/ie_slurm_metrics.py"
_spec = importlib.util.spec_from_file_location("ie_slurm_metrics", SCRIPT)
metrics = importlib.util.module_from_spec(_spec)
sys.modules["ie_slurm_metrics"] = metrics
_spec.loader.exec_module(metrics)

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
        {"job_state": ["RUNNING"], "partition": "all", "qos": "normal", "user_name": "student1"},
        {"job_state": ["PENDING"], "partition": "all", "qos": "normal",
         "state_reason": "Resources"},
        {"job_state": ["PENDING"], "partition": "all", "qos": "normal",
         "state_reason": "Resources"},
        {"job_state": ["PENDING"], "partition": "gpu", "qos": "short",
         "state_reason": "BeginTime"},
    ]
}  # fmt: skip
SDIAG = {"statistics": {"schedule_cycle_last": 1500, "schedule_cycle_mean": 2000,
                        "schedule_cycle_max": 250000}}  # fmt: skip


def samples(registry):
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def read_all(argv):
    return {"scontrol": NODES, "squeue": SQUEUE, "sdiag": SDIAG}[argv[0]]


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
               ("nodes", "jobs", "scheduler"))  # fmt: skip


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


def test_no_metric_names_a_student(tmp_path, monkeypatch):
    """The file is served to anyone on a login host: nothing in it is one
    student's (their jobs are counted by partition and QOS only)."""
    monkeypatch.setattr(metrics, "run", read_all)
    out = tmp_path / "slurm.prom"
    metrics.main(["--output", str(out)])
    assert "student1" not in out.read_text() and "user" not in out.read_text()


def test_the_file_is_written_for_the_textfile_collector(tmp_path, monkeypatch):
    monkeypatch.setattr(metrics, "run", read_all)
    out = tmp_path / "slurm.prom"
    assert metrics.main(["--output", str(out)]) == 0
    text = out.read_text()
    assert 'ie_slurm_node_unavailable{by_admin="1",node="gs04"' in text
    assert [p.name for p in tmp_path.iterdir()] == ["slurm.prom"]
