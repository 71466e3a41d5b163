"""The admins' overview: what root's timer reads and writes
(ie_console.overview), how an admin's agent opens it, and the page."""

from __future__ import annotations

import html
import json
import os
import re
import stat
import time

import pytest
from console_fakes import EVIL, logged_in

from ie_common import graphs
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


# -- the graphs, from Prometheus ----------------------------------------------------------------

GRAPHS = {**SETTINGS, "prometheus_url": "https://registry01:9090",
          "prometheus_user": "ie-console-overview@gs01",
          "prometheus_password_file": "/etc/ie/console-overview/prometheus.password",
          "prometheus_ca": "/etc/ie/console-overview/prometheus-ca.crt"}  # fmt: skip
NOW = 1_800_000_000.0


class FakePrometheus:
    def __init__(self, fail=""):
        self.asked, self.fail = [], fail

    def query_range(self, expr, start, end, step):
        self.asked.append((expr, start.timestamp(), end.timestamp(), step))
        if self.fail == "every" or (self.fail and self.fail in expr):
            raise OSError("connection refused")
        t = start.timestamp()
        return [{"metric": {"user": EVIL}, "values": [[t, "1"], [t + 600, "3"]]},
                {"metric": {"user": "student1"}, "values": [[t, "2"]]}]  # fmt: skip


def with_prometheus(fake):
    def connect(settings):
        assert settings is GRAPHS
        return fake

    return connect


def test_each_panel_is_asked_for_the_last_day_with_the_overviews_own_login():
    fake = FakePrometheus()
    snap = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                            prometheus=with_prometheus(fake))  # fmt: skip
    assert [a[0] for a in fake.asked] == [p.expr for p in graphs.PANELS]
    assert {a[1:] for a in fake.asked} == {(NOW - 24 * 3600, NOW, 600)}
    rows = snap["graphs"]["rows"]
    assert [(r["section"], r["title"]) for r in rows] == [p[:2] for p in graphs.PANELS]
    assert all(r["error"] == "" and len(r["series"]) == 2 for r in rows)
    json.dumps(snap)  # what the timer writes


def test_a_panel_prometheus_cannot_answer_says_why_and_none_answered_is_the_parts_error():
    fake = FakePrometheus(fail="ceph_")
    snap = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                            prometheus=with_prometheus(fake))  # fmt: skip
    failed = [r["title"] for r in snap["graphs"]["rows"] if r["error"]]
    assert failed == [p.title for p in graphs.PANELS if "ceph_" in p.expr] and len(failed) == 3
    snap = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                            prometheus=with_prometheus(FakePrometheus(fail="every")))  # fmt: skip
    assert snap["graphs"]["error"] == "cannot ask Prometheus: connection refused"


def test_without_prometheus_the_graphs_say_so_and_nothing_is_asked(tmp_path):
    snap = overview.collect(SETTINGS, cmd=fake_commands()[0], domains=domains,
                            prometheus=lambda s: pytest.fail("asked"))  # fmt: skip
    assert snap["graphs"] == {"error": "this site has no Prometheus for the overview"}
    # its login unreadable: the part says why, the others are read
    settings = {**GRAPHS, "prometheus_password_file": str(tmp_path / "none")}
    snap = overview.collect(settings, cmd=fake_commands()[0], domains=domains)
    assert "No such file" in snap["graphs"]["error"] and "rows" in snap["jobs"]


def test_graphs_younger_than_a_sample_are_kept_and_older_ones_asked_again():
    fake = FakePrometheus()
    first = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                             prometheus=with_prometheus(fake))  # fmt: skip
    assert first["graphs_taken"] == NOW and len(fake.asked) == len(graphs.PANELS)
    previous = json.loads(json.dumps(first))  # as the timer wrote it
    later = NOW + overview.GRAPH_STEP - 1
    kept = overview.collect(
        GRAPHS,
        cmd=fake_commands()[0],
        domains=domains,
        now=lambda: later,
        prometheus=lambda s: pytest.fail("asked"),
        previous=previous,
    )
    assert kept["graphs"] == previous["graphs"] and kept["graphs_taken"] == NOW
    assert kept["taken"] == later and "rows" in kept["jobs"]  # the other parts read anew
    for stale in (
        {**previous, "graphs_taken": NOW - overview.GRAPH_STEP},  # a sample old
        {**previous, "graphs_taken": NOW + 60},  # from the future (the clock went back)
        {**previous, "graphs_taken": "soon"},
        {**previous, "graphs": {"error": "cannot ask Prometheus: connection refused"}},
        {**previous, "graphs": {"rows": "x"}},
        {**previous, "graphs": {"rows": [*previous["graphs"]["rows"][1:], {"error": "no"}]}},
        {"taken": NOW},
    ):
        fake = FakePrometheus()
        again = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains,
                                 now=lambda: NOW, prometheus=with_prometheus(fake),
                                 previous=stale)  # fmt: skip
        assert len(fake.asked) == len(graphs.PANELS) and again["graphs_taken"] == NOW
    # a site without Prometheus now shows none, whatever the last snapshot held
    gone = overview.collect(SETTINGS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                            previous=previous)  # fmt: skip
    assert gone["graphs"] == {"error": "this site has no Prometheus for the overview"}


def test_the_last_snapshot_is_read_back_and_anything_else_is_none(tmp_path):
    path = tmp_path / "overview.json"
    assert overview.read_previous(str(path)) is None  # none yet
    overview.write({"taken": 1, "graphs_taken": 1}, str(path), os.getgid(), uid=os.getuid())
    assert overview.read_previous(str(path)) == {"taken": 1, "graphs_taken": 1}
    for odd in ("[1]", "{not json", ""):
        path.write_text(odd)
        assert overview.read_previous(str(path)) is None
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text('{"taken": 2}')
    assert overview.read_previous(str(link)) is None  # a link is never followed


def test_the_page_draws_each_panel_escaped_and_refuses_what_is_not_a_number():
    fake = FakePrometheus(fail="ceph_health")
    snap = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=lambda: NOW,
                            prometheus=with_prometheus(fake))  # fmt: skip
    snap["graphs"]["rows"][1]["series"] = []  # no data
    snap["graphs"]["rows"][2]["start"] = "soon"  # not drawn
    snap["graphs"]["rows"][4]["series"] = [{"metric": [], "values": [[1, "x"]]}]
    view = overview.shown(json.dumps(snap).encode(), NOW + 5)["graphs"]
    assert view["error"] == "" and len(view["rows"]) == len(graphs.PANELS)
    first = view["rows"][0]
    assert first["svg"].count("<polyline") == 2 and first["error"] == ""
    assert EVIL not in first["svg"] and html.escape(EVIL) in first["svg"]
    assert view["rows"][1]["svg"] == "" and view["rows"][1]["error"] == ""
    assert view["rows"][2]["error"].startswith("not drawn:")
    assert view["rows"][3]["error"] == "cannot ask Prometheus: connection refused"
    assert view["rows"][4]["svg"] == ""  # a sample that is not a number is left out
    odd = overview.shown(b'{"taken": 5, "graphs": {"rows": [{"title": "t"}]}}', 6)["graphs"]
    assert odd["rows"][0]["error"].startswith("not drawn:")


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


def test_an_admin_sees_the_graphs_in_their_own_language(console, tmp_path):
    application, _, _ = console
    fake = FakePrometheus(fail="ceph_health")
    snap = overview.collect(GRAPHS, cmd=fake_commands()[0], domains=domains, now=time.time,
                            prometheus=with_prometheus(fake))  # fmt: skip
    (tmp_path / "overview.json").write_text(json.dumps(snap))
    client, _ = logged_in(application, user="admin1", lang="ja")
    text = client.get("/overview", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    graphs_part = text[text.index('<div id="graphs">') :]
    # in the page's body, after the tables, not in its title
    assert re.search(r"<title>全体の状況 - ie-console</title>", text), text[:400]
    assert text.index("<main") < text.index('id="jobs"') < text.index('<div id="graphs">')
    assert "<h2>直近 24 時間のグラフ</h2>" in text and "<h3>クラスタ</h3>" in graphs_part
    assert "<h4>稼働中のホスト</h4>" in graphs_part
    assert graphs_part.count("<polyline") == 2 * (len(graphs.PANELS) - 1)
    assert "cannot ask Prometheus: connection refused" in graphs_part
    assert EVIL not in graphs_part and "style=" not in graphs_part


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
