"""Monitoring (issue 29), deployed by site.yml: Prometheus on the monitoring
host (registry01) scrapes every host's node exporter, which registered
itself, and the active Ceph manager; the alerting rules of the repository
are loaded. side_effect.yml shows that a server added with --limit is
scraped with no change to Prometheus by hand."""

from __future__ import annotations

import json
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
    for _ in range(30):  # a scrape every 30 s
        found = targets()
        nodes = {t["labels"]["host"]: t["health"] for t in found if t["labels"]["job"] == "node"}
        if set(nodes.values()) == {"up"}:
            break
        time.sleep(3)
    assert nodes == dict.fromkeys(HOSTS, "up"), found
    assert [t["health"] for t in found if t["labels"]["job"] == "prometheus"] == ["up"]


def test_the_exporters_listen_on_the_cluster_address_only():
    address = GS01.check_output("hostname -I").split()[0]
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


def test_the_repositorys_alerting_rules_are_loaded():
    groups = api("/api/v1/rules")["groups"]
    loaded = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
    assert loaded == RULES
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups
