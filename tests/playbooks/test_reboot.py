"""playbooks/reboot.yml's shape: what molecule/site's planned reboot relies
on and cannot show for every inventory (it runs the playbook for real on a
monitor, MDS, compute node and client, and on an OSD host)."""

from __future__ import annotations

import re

from test_become import ROOT, plays, without_become
from test_upgrade import health_settles, steps

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
    assert health_settles(PLAYS[0], REBOOT.parent) == [10]
    [task] = [
        t
        for t in steps(PLAYS[0])
        if "ie.cluster.ceph_health" in t and "settle" in t["ie.cluster.ceph_health"]
    ]
    assert task["ie.cluster.ceph_health"]["ignore_checks"] == ["OSDMAP_FLAGS"]


def silence_tasks():
    added = next(t for t in steps(PLAYS[0]) if t.get("register") == "__silence_added")
    expired = next(t for t in steps(PLAYS[0]) if t.get("name", "").startswith("End the silences"))
    return added, expired


def test_the_reboots_alerts_are_silenced_before_it_and_the_silences_end_after():
    reboot = next(i for i, t in enumerate(steps(PLAYS[0])) if "ansible.builtin.reboot" in t)
    assert index("Drain the node") < index("Silence the alerts the reboot raises") < reboot
    assert index("Resume the node") < index("End the reboot's silences")
    assert names()[-1] == "End the silences (amtool silence expire)"


def test_the_silences_match_the_hosts_alerts_its_osds_and_cephs_health():
    import jinja2

    added, expired = silence_tasks()
    env = jinja2.Environment()
    env.filters["bool"] = bool
    env.filters["regex_replace"] = lambda value, pattern, new: re.sub(pattern, new, value)

    def matchers(**host):
        loop = added["loop"].strip().removeprefix("{{").removesuffix("}}")
        return env.compile_expression(loop)(inventory_hostname="st01", **host)

    osds = {"stdout_lines": ["3", "4"]}
    assert matchers(__is_osd=True, __is_ceph=True, __ceph_host_osds=osds) == [
        ["host=st01"],
        ["node=st01"],
        ['ceph_daemon=~"osd.3|osd.4"'],
        ['alertname=~"IeCephNotHealthy|IeCephMonQuorum"'],
    ]
    assert matchers(__is_osd=False, __is_ceph=False) == [["host=st01"], ["node=st01"]]
    # each lasts longer than the reboot's and the health waits, and ends by its ids
    assert (
        "reboot_timeout | int + 3 * upgrade_health_timeout" in PLAYS[0]["vars"]["__silence_seconds"]
    )
    assert expired["ansible.builtin.command"]["argv"] == (
        "{{ __amtool + ['silence', 'expire'] + __silences }}"
    )
    for task in (added, expired):
        assert task["delegate_to"] == "{{ __monitor }}"
    assert "not ansible_check_mode" in added["when"]


def test_the_ids_survive_the_second_include_that_expires_them():
    # The file is included twice, to add and then to expire. In the second,
    # the add task is skipped, and a skipped task's register overwrites its
    # variable: the ids must live in a fact set only when adding (CI of the
    # first version found the silences never expired).
    import jinja2

    added, expired = silence_tasks()
    keep = next(t for t in steps(PLAYS[0]) if "__silences" in t.get("ansible.builtin.set_fact", {}))
    assert added["register"] != "__silences" and keep["when"] == "__silence == 'add'"
    env = jinja2.Environment()
    ids = env.compile_expression(keep["ansible.builtin.set_fact"]["__silences"].strip("{} "))
    ran = {"results": [{"stdout": "id-1\n"}, {"stdout": "id-2"}]}
    assert ids(__silence_added=ran) == ["id-1", "id-2"]
    skipped = {"results": [{"skipped": True}], "skipped": True}
    assert ids(__silence_added=skipped) == []  # check mode: nothing to expire
    assert "__silences | default([]) | length > 0" in expired["when"]


def test_a_metadata_server_hands_its_rank_over_while_it_still_runs():
    # An active MDS stopped with its host leaves the standby waiting for
    # that host's own client to reconnect (the MDS reconnect timeout), and
    # every other client's requests wait as long (molecule/site's writer
    # failed once during the reboot of gs02, make test of 04ca2eb): the
    # rank goes first.
    tasks = steps(PLAYS[0])
    reboot = next(i for i, t in enumerate(tasks) if "ansible.builtin.reboot" in t)
    handover = index("Hand the metadata server's ranks to a standby")
    assert index("Ceph allows its daemons to stop") < handover < reboot
    task = tasks[handover]
    assert task["ie.cluster.ceph_mds_failover"]["name"] == "{{ __mds }}"
    assert task["when"] == "__is_mds | bool" and task["delegate_to"] == "{{ __first_mon }}"


def test_an_upgrade_hands_the_rank_over_before_the_restart_unless_there_is_one_mds():
    from test_upgrade import PLAYS as UPGRADE_PLAYS

    [play] = [p for p in UPGRADE_PLAYS if p["hosts"] == "ceph_mds"]
    names = [t.get("name", "") for t in steps(play)]
    handover = names.index("Hand the metadata server's ranks to a standby")
    assert handover + 1 == names.index("Restart the metadata server")
    assert "groups['ceph_mds'] | length > 1" in steps(play)[handover]["when"]
