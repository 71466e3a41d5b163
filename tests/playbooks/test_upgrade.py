"""playbooks/upgrade.yml's shape: the properties its Molecule runs rely on
and cannot show for every inventory (molecule/ceph and molecule/slurm run
it for real)."""

from __future__ import annotations

from pathlib import Path

import yaml
from test_become import ROOT, plays, tasks, without_become

UPGRADE = ROOT / "playbooks/upgrade.yml"
PLAYS = [play for _path, play in plays(UPGRADE)]
# the plays that stop a service: one host at a time, in this order
ROLLING = [
    "ceph_mon",
    "ceph_mgr",
    "ceph_osd",
    "ceph_mds",
    "cephfs_client",
    "slurmdbd",
    "slurm_controller",
    "slurm_compute",
    "all",
]


def steps(play, here: Path = UPGRADE.parent) -> list[dict]:
    """A play's tasks in order, with the task files it includes in place."""
    found = []
    for task in tasks(play):
        found.append(task)
        included = task.get("ansible.builtin.include_tasks")
        if included:
            found += steps({"tasks": yaml.safe_load((here / included).read_text())}, here)
    return found


def test_every_play_stops_the_whole_run_at_the_first_failure():
    assert PLAYS and all(play.get("any_errors_fatal") is True for play in PLAYS)


def test_services_go_one_host_at_a_time_in_the_order_they_need():
    rolling = [play["hosts"] for play in PLAYS if play.get("serial") is not None]
    assert rolling == ROLLING
    assert all(play["serial"] == 1 for play in PLAYS if "serial" in play)


def test_noout_is_set_before_the_first_ceph_daemon_and_cleared_after_the_last():
    names = [play["name"] for play in PLAYS]
    argvs = [(i, " ".join(t["ansible.builtin.command"]["argv"][-3:]))
             for i, play in enumerate(PLAYS) for t in tasks(play)
             if isinstance(t.get("ansible.builtin.command"), dict)
             and "noout" in t["ansible.builtin.command"].get("argv", [])]  # fmt: skip
    assert [a for _i, a in argvs] == ["osd set noout", "osd unset noout"]
    first_ceph = names.index("Upgrade - Ceph monitors, one at a time")
    last_ceph = names.index("Upgrade - Ceph clients")
    assert argvs[0][0] < first_ceph and argvs[1][0] > last_ceph


def test_every_restart_waits_for_its_service_before_the_next_host():
    for play in PLAYS:
        names = [t.get("name", "") for t in steps(play)]
        restarts = [i for i, t in enumerate(steps(play)) if "ansible.builtin.systemd_service" in t]
        for i in restarts:
            assert any(n.startswith(("Wait", "Ceph's health")) for n in names[i + 1 :]), play[
                "name"
            ]


def test_it_becomes_root_everywhere():
    assert without_become(UPGRADE) == []


def test_the_task_files_it_includes_exist():
    for play in PLAYS:
        for task in tasks(play):
            included = task.get("ansible.builtin.include_tasks")
            if included:
                assert (Path(UPGRADE).parent / included).is_file(), included
