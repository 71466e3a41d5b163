"""playbooks/reboot.yml's shape: what molecule/site's planned reboot relies
on and cannot show for every inventory (it runs the playbook for real on a
monitor, MDS, compute node and client, and on an OSD host)."""

from __future__ import annotations

from test_become import ROOT, plays, without_become
from test_upgrade import steps

REBOOT = ROOT / "playbooks/reboot.yml"
PLAYS = [play for _path, play in plays(REBOOT)]


def names() -> list[str]:
    return [t.get("name", "") for t in steps(PLAYS[0], REBOOT.parent)]


def index(prefix: str) -> int:
    found = [i for i, name in enumerate(names()) if name.startswith(prefix)]
    assert found, prefix
    return found[0]


def test_one_host_at_a_time_and_the_first_failure_stops_the_run():
    assert len(PLAYS) == 1
    assert PLAYS[0]["serial"] == 1 and PLAYS[0]["any_errors_fatal"] is True


def test_every_check_comes_before_anything_changes():
    first_change = index("Drain the node")
    for check in ("Ceph's health before anything stops", "Ceph allows its daemons to stop"):
        assert index(check) < first_change


def test_ok_to_stop_asks_for_every_kind_of_daemon_the_host_has():
    asked = [t for t in steps(PLAYS[0]) if t.get("name", "").startswith("Ceph allows")]
    include, task = asked  # the shared task file (tasks/ceph_ok_to_stop.yml), then its task
    assert include["vars"]["__ok_to_stop"] == "{{ __kinds }}"
    for kind in ("mon", "osd", "mds"):
        assert f"['{kind}'] if __is_{kind} | bool" in PLAYS[0]["vars"]["__kinds"]
        assert f"['{kind}', 'ok-to-stop'" in task["loop"]
        assert f"'{kind}' in __ok_to_stop" in task["loop"]


def test_drained_and_noout_set_before_the_reboot_resumed_and_cleared_after():
    reboot = next(i for i, t in enumerate(steps(PLAYS[0])) if "ansible.builtin.reboot" in t)
    assert index("Drain the node") < index("Set noout") < reboot
    health = index("Ceph's health with the host back")
    assert reboot < index("Wait until the monitor, its OSDs") < health
    assert health < index("Clear noout") < index("Resume the node")


def test_the_reboot_sees_a_container_restart_as_a_reboot():
    task = next(t for t in steps(PLAYS[0]) if "ansible.builtin.reboot" in t)
    reboot = task["ansible.builtin.reboot"]
    assert "random/boot_id" in reboot["boot_time_command"]
    assert "/proc/1/stat" in reboot["boot_time_command"]


def test_it_becomes_root_everywhere():
    assert without_become(REBOOT) == []


def test_reboot_required_only_skips_a_host_before_any_check_or_change():
    tasks = steps(PLAYS[0])
    skip = next(i for i, t in enumerate(tasks) if t.get("ansible.builtin.meta") == "end_host")
    assert "reboot_required_only" in tasks[skip]["when"]
    assert "not __reboot_required.stat.exists" in tasks[skip]["when"]
    assert skip < index("Ceph's health before anything stops")
    stat = next(t for t in tasks if "ansible.builtin.stat" in t)
    assert stat["ansible.builtin.stat"]["path"] == "/run/reboot-required"


def test_ok_to_stop_asks_again_only_while_ceph_cannot_tell():
    # EAGAIN (11): a manager just restarted has no PG states yet ("cannot
    # draw any conclusions"); a refusal (EBUSY, 16) or any other answer ends
    # the waiting, and the task fails on it.
    import jinja2

    [task] = [t for t in steps(PLAYS[0]) if t.get("register") == "__ceph_ok_to_stop"]
    until = jinja2.Environment().compile_expression(task["until"])
    assert task["register"] == "__ceph_ok_to_stop" and task["delay"] == 5
    assert until(__ceph_ok_to_stop={"rc": 11}) is False
    for rc in (0, 16, 1):
        assert until(__ceph_ok_to_stop={"rc": rc}) is True
    assert "failed_when" not in task  # a non-zero answer left after the waiting fails it


def test_the_health_wait_between_hosts_outlasts_the_managers_report():
    # ceph health answers from the manager's last placement-group report (every
    # 5 s): HEALTH_OK must hold for longer than that, or the next host's
    # ok-to-stop meets the peering that follows a restart (EBUSY).
    [task] = [
        t
        for t in steps(PLAYS[0])
        if "ie.cluster.ceph_health" in t and "settle" in t["ie.cluster.ceph_health"]
    ]
    assert task["ie.cluster.ceph_health"]["settle"] > 5
    assert task["ie.cluster.ceph_health"]["ignore_checks"] == ["OSDMAP_FLAGS"]
