"""Monitoring (issue 29), deployed by site.yml: Prometheus on the monitoring
host (registry01) scrapes every host's node exporter, which registered
itself, and the active Ceph manager; the alerting rules of the repository
are loaded. side_effect.yml shows that a server added with --limit is
scraped with no change to Prometheus by hand."""

from __future__ import annotations

import json
import re
import time

import testinfra
from students import FIRST, GS01

MONITORING = testinfra.get_host(f"podman://{FIRST.replace('gs01', 'registry01')}")
HOSTS = {"gs01", "gs02", "st01", "st02", "backup01", "registry01", "ldap01"}
RULES = {
    "IeHostDown",
    "IeFilesystemFull",
    "IeCephNotHealthy",
    "IeCephOsdDown",
    "IeCephMonQuorum",
    "IeCephMetricsMissing",
    "IeSlurmNodeUnavailable",
    "IeSlurmControllerUnreadable",
    "IeBackupStale",
    "IeBackupNeverCopied",
    "IeMetricsFileOld",
}


def api(path):
    out = MONITORING.check_output(
        "python3 -c 'import sys, urllib.request; "
        'print(urllib.request.urlopen("http://127.0.0.1:9090" + sys.argv[1]).read().decode())\' '
        f"'{path}'"
    )
    return json.loads(out)["data"]


def targets():
    return api("/api/v1/targets?state=active")["activeTargets"]


def test_every_host_is_scraped_and_up():
    for _ in range(30):  # a scrape every 15 s
        found = targets()
        nodes = {t["labels"]["host"]: t["health"] for t in found if t["labels"]["job"] == "node"}
        if set(nodes.values()) == {"up"}:
            break
        time.sleep(3)
    assert nodes == dict.fromkeys(HOSTS, "up"), found
    assert [t["health"] for t in found if t["labels"]["job"] == "prometheus"] == ["up"]


def test_the_exporters_listen_on_the_cluster_address_only():
    args = GS01.file("/etc/default/prometheus-node-exporter").content_string
    address = re.search(r"--web.listen-address=([0-9.]+):9100", args).group(1)
    assert address in GS01.check_output("hostname -I").split()  # the host's own address
    fetch = (
        "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)'"
    )
    assert GS01.run(f"{fetch} http://{address}:9100/metrics").rc == 0
    assert GS01.run(f"{fetch} http://127.0.0.1:9100/metrics").rc != 0


def test_ceph_is_scraped_from_its_active_manager():
    for _ in range(30):
        health = api("/api/v1/query?query=ceph_health_status")["result"]
        if health:
            break
        time.sleep(3)
    assert health and health[0]["value"][1] in ("0", "1"), health
    active = json.loads(GS01.check_output("ceph mgr services --format json"))["prometheus"]
    ceph = {t["scrapeUrl"]: t["health"] for t in targets() if t["labels"]["job"] == "ceph"}
    assert ceph[active.rstrip("/") + "/metrics"] == "up", ceph


def query(expr):
    """The result of an instant query, waiting for the collectors' first files
    and the next scrape."""
    for _ in range(40):
        found = api(f"/api/v1/query?query={expr}")["result"]
        if found:
            return found
        time.sleep(3)
    return []


def test_slurms_nodes_and_jobs_are_metrics():
    nodes = query("ie_slurm_nodes")
    sinfo = GS01.check_output("sinfo -h -N -o %N").split()
    assert sum(float(r["value"][1]) for r in nodes) == len(set(sinfo)), nodes
    assert {r["metric"]["host"] for r in nodes} == {"gs01"}  # the controller's collector
    read = {r["metric"]["part"]: r["value"][1] for r in query("ie_slurm_metrics_read")}
    assert read == {"nodes": "1", "jobs": "1", "scheduler": "1"}, read


def test_each_backup_source_is_a_metric():
    backup = testinfra.get_host(f"podman://{FIRST.replace('gs01', 'backup01')}")
    sources = {r["source"] for r in json.loads(backup.run("ie-backup-status --format json").stdout)}
    good = query("ie_backup_good")
    assert {r["metric"]["source"] for r in good} == sources, good


def test_the_repositorys_alerting_rules_are_loaded():
    groups = api("/api/v1/rules")["groups"]
    loaded = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
    assert loaded == RULES
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups


# ---- Alertmanager, which mails the alerts (roles/alertmanager). side_effect.yml
# shows a stopped OSD, a stopped slurmd and stale backups mailed to the lab's
# stand-in relay when raised and again when resolved (alert_mail.py).


def test_alertmanager_answers_on_localhost_only_without_clustering():
    probe = (
        "python3 -c 'import socket, sys; s = socket.socket(); s.settimeout(5);"
        " sys.exit(s.connect_ex((sys.argv[1], int(sys.argv[2]))))'"
    )
    address = MONITORING.check_output("hostname -I").split()[0]
    assert MONITORING.run(f"{probe} 127.0.0.1 9093").rc == 0
    # not on the cluster network, and no gossip port (--cluster.listen-address=)
    for host, port in ((address, 9093), ("127.0.0.1", 9094), (address, 9094)):
        assert MONITORING.run(f"{probe} {host} {port}").rc != 0, (host, port)
    assert MONITORING.service("prometheus-alertmanager").is_enabled
    config = MONITORING.file("/etc/prometheus/alertmanager.yml")
    assert (config.mode, config.user, config.group) == (0o640, "root", "prometheus")
    sent_to = api("/api/v1/alertmanagers")["activeAlertmanagers"]
    assert [a["url"] for a in sent_to] == ["http://127.0.0.1:9093/api/v2/alerts"], sent_to
