"""playbooks/upgrade.yml's shape: the properties its Molecule runs rely on
and cannot show for every inventory (molecule/ceph and molecule/slurm run
it for real)."""

from __future__ import annotations

from pathlib import Path

import jinja2
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


def health_settles(play, here: Path = UPGRADE.parent) -> list[int]:
    """The seconds HEALTH_OK must hold in each of the play's waits that
    include tasks/upgrade_ceph_health.yml, rendered with the include's vars."""
    found = []
    for task in tasks(play):
        included = task.get("ansible.builtin.include_tasks")
        if included != "tasks/upgrade_ceph_health.yml":
            continue
        for inner in yaml.safe_load((here / included).read_text()):
            settle = str(inner["ie.cluster.ceph_health"]["settle"])
            found.append(int(jinja2.Template(settle).render(**(task.get("vars") or {}))))
    return found


def test_health_holds_after_a_manager_or_an_osd_host_and_not_after_the_others():
    # ceph health answers from the manager's last placement-group report (every
    # 5 s): after a manager or OSD host, HEALTH_OK must hold for longer than
    # that, or the next host's ok-to-stop meets the peering that follows a
    # restart (EBUSY). A monitor's or metadata server's restart moves no
    # placement group, and its daemon was already seen back (ceph_daemons_up).
    settles = {play["hosts"]: health_settles(play) for play in PLAYS}
    assert settles["ceph_mgr"] == settles["ceph_osd"] == [10]
    assert settles["ceph_mon"] == settles["ceph_mds"] == [0]


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
