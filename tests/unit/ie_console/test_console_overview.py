"""The admins' overview: what root's timer reads and writes
(ie_console.overview), how an admin's agent opens it, and the page."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from console_fakes import EVIL, logged_in

from ie_console import agent, overview

PS = [
    {
        "Names": ["student1_web"],
        "Image": "localhost/ie-student1/web:1",
        "State": "running",
        "Labels": {"ie.owner.user": "student1", "ie.owner.uid": "2001"},
    },
    {"Names": ["ie-registry"], "Image": "registry:2", "State": "running", "Labels": None},
    {
        "Names": ["student-d2_" + "x"],
        "Image": EVIL,
        "State": "exited",
        "Labels": {"ie.owner.user": "student-2", "ie.owner.uid": "2002"},
    },
]
SQUEUE = {
    "jobs": [
        {"job_id": 7, "user_name": "student1", "name": "train", "job_state": ["RUNNING"]},
        {"job_id": 8, "user_name": "student2", "name": EVIL, "job_state": ["PENDING"]},
    ]
}
NODES = {
    "nodes": [
        {
            "name": "gs01",
            "state": ["MIXED"],
            "partitions": ["gpu", "cpu"],
            "cpus": 16,
            "alloc_cpus": 4,
            "gres": "gpu:1",
            "reason": "",
        }
    ]
}
HEALTH = {
    "status": "HEALTH_WARN",
    "checks": {"OSD_DOWN": {"severity": "HEALTH_WARN", "summary": {"message": "1 osds down"}}},
}
BACKUPS = [
    {
        "source": "root@gs01:/etc/",
        "dest": "gs01/",
        "last_success": "2026-11-27 03:00:05",
        "age": "17h",
        "last_run": "2026-11-27 03:00:00",
        "last_result": "ok",
        "messages": ["not shown"],
        "state": "good",
    }
]
SETTINGS = {
    "admins_group": "ieadmin",
    "ceph_id": "ie-console-overview",
    "backup_server": "backup01",
    "backup_key": "/etc/ie/console-overview/backup_ed25519",
    "backup_known_hosts": "/etc/ie/console-overview/known_hosts",
}


def fake_commands(fail=()):
    asked = []

    def cmd(argv, reports=(0,)):
        asked.append(argv)
        assert reports == ((0, 1) if argv[0] == "ssh" else (0,))
        name = argv[0]
        if name in fail:
            raise RuntimeError(f"{name}: it broke")
        return json.dumps(
            {"podman": PS, "squeue": SQUEUE, "scontrol": NODES, "ceph": HEALTH, "ssh": BACKUPS}[
                name
            ]
        )

    return cmd, asked


def domains(uri):
    assert uri == "qemu:///system"
    return [
        ("student1_vm1", {"owner_uid": 2001, "owner_user": "student1", "vcpus": 2,
                          "memory_mib": 1024, "template": "debian13"}, True),
        ("adminvm", {"owner_uid": None}, False),  # not a student's
        ("student2_vm2", {"owner_uid": None, "owner_user": ""}, False),  # no owner element
    ]  # fmt: skip


def test_each_part_is_read_with_its_owner_and_nothing_of_others():
    cmd, asked = fake_commands()
    snap = overview.collect(SETTINGS, cmd=cmd, domains=domains, now=lambda: 1000.0)
    assert snap["taken"] == 1000.0
    assert snap["containers"]["rows"] == [
        {"owner": "student-2", "name": "x", "image": EVIL, "state": "exited"},
        {"owner": "student1", "name": "web", "image": "localhost/ie-student1/web:1",
         "state": "running"},
    ]  # fmt: skip
    assert snap["vms"]["rows"] == [
        {"owner": "student1", "name": "vm1", "state": "running", "vcpus": 2,
         "memory_mib": 1024, "template": "debian13"}
    ]  # fmt: skip
    assert [(j["id"], j["user"]) for j in snap["jobs"]["rows"]] == [
        ("7", "student1"),
        ("8", "student2"),
    ]
    assert snap["nodes"]["rows"][0] == {
        "name": "gs01",
        "state": "MIXED",
        "partitions": "gpu,cpu",
        "cpus": "4/16",
        "gres": "gpu:1",
        "reason": "",
    }
    assert snap["ceph"]["rows"] == [
        {"severity": "HEALTH_WARN", "message": ""},
        {"severity": "HEALTH_WARN", "message": "OSD_DOWN: 1 osds down"},
    ]
    assert snap["backups"]["rows"] == [
        {"source": "root@gs01:/etc/", "last_success": "2026-11-27 03:00:05", "age": "17h",
         "last_result": "ok", "state": "good"}
    ]  # fmt: skip
    by_tool = {argv[0]: argv for argv in asked}
    assert by_tool["ceph"][:3] == ["ceph", "--id", "ie-console-overview"]
    ssh = by_tool["ssh"]
    # Only the overview's own key and known hosts, never a prompt.
    for option in ("BatchMode=yes", "StrictHostKeyChecking=yes", "IdentitiesOnly=yes",
                   "UserKnownHostsFile=/etc/ie/console-overview/known_hosts"):  # fmt: skip
        assert option in ssh
    assert ssh[ssh.index("-i") + 1] == SETTINGS["backup_key"]
    assert ssh[-2:] == ["root@backup01", "ie-backup-status"]


def test_a_part_that_fails_says_why_and_the_others_are_still_read():
    cmd, _ = fake_commands(fail=("ceph", "ssh"))

    def no_libvirt(uri):
        raise OSError("cannot connect to libvirt")

    snap = overview.collect(SETTINGS, cmd=cmd, domains=no_libvirt)
    assert snap["ceph"] == {"error": "ceph: it broke"}
    assert snap["backups"] == {"error": "ssh: it broke"}
    assert snap["vms"] == {"error": "cannot connect to libvirt"}
    assert len(snap["containers"]["rows"]) == 2 and len(snap["jobs"]["rows"]) == 2


def test_a_command_fails_by_its_exit_status_and_a_stale_backup_is_still_a_report(tmp_path):
    script = tmp_path / "status"
    script.write_text("#!/bin/sh\necho '[]'; echo stale >&2; exit $1\n")
    script.chmod(0o755)
    assert overview.run([str(script), "1"], reports=overview.BACKUP_STATUS_REPORTS) == "[]\n"
    with pytest.raises(RuntimeError, match="stale"):
        overview.run([str(script), "2"], reports=overview.BACKUP_STATUS_REPORTS)
    with pytest.raises(RuntimeError, match="stale"):
        overview.run([str(script), "1"])


def test_a_site_without_ceph_or_a_backup_server_is_told_so_and_runs_neither():
    cmd, asked = fake_commands()
    settings = {k: v for k, v in SETTINGS.items() if k not in ("ceph_id", "backup_server")}
    snap = overview.collect(settings, cmd=cmd, domains=domains)
    assert "no Ceph key" in snap["ceph"]["error"]
    assert "no backup server" in snap["backups"]["error"]
    assert {argv[0] for argv in asked} == {"podman", "squeue", "scontrol"}


def test_the_snapshot_is_replaced_at_once_and_only_the_group_reads_it(tmp_path):
    path = tmp_path / "overview.json"
    path.write_text("old")
    overview.write({"taken": 1}, str(path), os.getgid(), uid=os.getuid())
    info = path.stat()
    assert json.loads(path.read_text()) == {"taken": 1}
    assert stat.S_IMODE(info.st_mode) == 0o640 and info.st_gid == os.getgid()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overview.json"]  # no temporary left


def test_the_snapshot_is_not_written_through_a_linked_folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        overview.write({}, str(tmp_path / "link" / "overview.json"), os.getgid())
    assert list((tmp_path / "real").iterdir()) == []


def test_what_the_page_shows_of_a_snapshot():
    snap = overview.collect(SETTINGS, cmd=fake_commands(fail=("ceph",))[0], domains=domains,
                            now=lambda: 1000.0)  # fmt: skip
    view = overview.shown(json.dumps(snap).encode(), now=1030.0)
    assert view["age"] == 30 and not view["stale"]
    assert view["ceph"] == {"rows": [], "error": "ceph: it broke"}
    assert len(view["jobs"]["rows"]) == 2 and view["jobs"]["error"] == ""
    assert overview.shown(json.dumps(snap).encode(), now=1000.0 + 301)["stale"]
    # a snapshot with parts missing or of the wrong shape shows them empty
    odd = overview.shown(b'{"taken": 5, "jobs": [1], "vms": {"rows": [1, {"name": "a"}]}}', 6)
    assert odd["jobs"] == {"rows": [], "error": "not read"}
    assert odd["vms"]["rows"] == [{"name": "a"}] and odd["containers"]["rows"] == []
    with pytest.raises(ValueError):
        overview.shown(b"[]", 0)


# -- the admin's agent opens it ---------------------------------------------------------------


def test_the_agent_opens_the_snapshot_only_as_roots_regular_file(tmp_path, monkeypatch):
    good = tmp_path / "overview.json"
    good.write_text('{"taken": 1}')
    if os.getuid() == 0:
        fd, size = agent.open_overview(str(good))
        assert os.read(fd, 100) == b'{"taken": 1}' and size == 12
        os.close(fd)
        os.chown(good, 1234, 1234)  # not root's: refused
        with pytest.raises(agent.Refused, match="not a file of root's"):
            agent.open_overview(str(good))
    # with no path, the one the collector writes (ie_console.overview.PATH)
    monkeypatch.setattr(overview, "PATH", str(tmp_path / "elsewhere.json"))
    with pytest.raises(agent.Refused, match="the overview: No such file"):
        agent.open_overview()
    (tmp_path / "elsewhere.json").mkdir()
    with pytest.raises(agent.Refused, match="not a file of root's"):
        agent.open_overview()  # the path it opened is the collector's
    link = tmp_path / "link.json"
    link.symlink_to(good)
    with pytest.raises(agent.Refused, match="the overview: "):
        agent.open_overview(str(link))
    with pytest.raises(agent.Refused, match="No such file"):
        agent.open_overview(str(tmp_path / "none.json"))
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(agent.Refused):
        agent.open_overview(str(tmp_path / "dir.json"))


def test_the_agent_answers_overview_only_for_true(tmp_path, monkeypatch):
    snap = tmp_path / "overview.json"
    snap.write_text("{}")
    monkeypatch.setattr(agent, "open_overview", lambda: (os.open(snap, os.O_RDONLY), 2))
    reply, fds = agent.answer({"overview": True}, [], -1, str(tmp_path), "admin1")
    assert reply == {"size": 2} and len(fds) == 1
    os.close(fds[0])
    with pytest.raises(agent.Refused):
        agent.answer({"overview": "/etc/shadow"}, [], -1, str(tmp_path), "admin1")


# -- the page -----------------------------------------------------------------------------------


def snapshot_beside_homes(tmp_path, now=None):
    snap = overview.collect(SETTINGS, cmd=fake_commands()[0], domains=domains,
                            now=lambda: now or time.time())  # fmt: skip
    (tmp_path / "overview.json").write_text(json.dumps(snap))


def test_an_admin_sees_every_students_things_as_text(console, tmp_path):
    application, agents, _ = console
    snapshot_beside_homes(tmp_path)
    client, _ = logged_in(application, user="admin1")
    assert 'href="/overview"' in client.get("/containers").get_data(as_text=True)
    page = client.get("/overview")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    for seen in ("student-2", "student1", "vm1", "HEALTH_WARN", "OSD_DOWN: 1 osds down",
                 "2026-11-27 03:00:05", "gpu:1", "train"):  # fmt: skip
        assert f"<td>{seen}</td>" in text, seen
    assert EVIL not in text and "&lt;script&gt;" in text
    assert "out of date" not in text
    assert agents["admin1"].opened == ["overview"]


def test_an_old_snapshot_is_marked_out_of_date(console, tmp_path):
    application, _, _ = console
    snapshot_beside_homes(tmp_path, now=time.time() - 3600)
    client, _ = logged_in(application, user="admin1")
    assert "ie-console-overview.timer" in client.get("/overview").get_data(as_text=True)


def test_a_student_is_told_there_is_no_such_page_and_nothing_is_opened(console, tmp_path):
    application, agents, _ = console
    snapshot_beside_homes(tmp_path)
    client, _ = logged_in(application)
    assert 'href="/overview"' not in client.get("/containers").get_data(as_text=True)
    assert client.get("/overview").status_code == 404
    assert agents["student1"].opened == []
    anonymous = application.test_client().get("/overview")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].endswith("/login")
