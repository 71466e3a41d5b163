"""Monitoring (issue 29), deployed by site.yml: Prometheus on the monitoring
host (registry01) scrapes every host's node exporter, which registered
itself, and the active Ceph manager; the alerting rules of the repository
are loaded. side_effect.yml shows that a server added with --limit is
scraped with no change to Prometheus by hand."""

from __future__ import annotations

import json
import re
import shlex
import time
import urllib.parse

import testinfra
from students import FIRST, GS01, OWNER, THIRD, as_user, iep, ok

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
    "IeTlsCertificateExpiring",
    "IeTlsServiceUnreachable",
    "IeMetricsFileOld",
}


# Prometheus's own API: TLS from its CA, and its login (tasks/web.yml).
API = """python3 -c '
import base64, ssl, sys, urllib.request
request = urllib.request.Request("https://127.0.0.1:9090" + sys.argv[1])
with open("/etc/prometheus/web.password") as secret:
    token = base64.b64encode(("admin:" + secret.read().strip()).encode()).decode()
request.add_header("Authorization", "Basic " + token)
tls = ssl.create_default_context(cafile="/etc/prometheus/tls/ca.crt")
print(urllib.request.urlopen(request, context=tls).read().decode())
'"""


def api(path):
    return json.loads(MONITORING.check_output(f"{API} {shlex.quote(path)}"))["data"]


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


# Prints the HTTP status of a GET of argv[1], with basic auth when argv[2]
# (the password) is given, as argv[3] (by default prometheus), and the
# certificate checked against the CA in argv[4] when given.
FETCH = """python3 -c '
import base64, ssl, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    user = sys.argv[3] if len(sys.argv) > 3 else "prometheus"
    token = base64.b64encode((user + ":" + sys.argv[2]).encode()).decode()
    request.add_header("Authorization", "Basic " + token)
tls = ssl.create_default_context(cafile=sys.argv[4]) if len(sys.argv) > 4 else None
try:
    print(urllib.request.urlopen(request, timeout=5, context=tls).status)
except urllib.error.HTTPError as error:
    print(error.code)
'"""


def scrape_password():
    return MONITORING.check_output("cat /etc/prometheus/node-exporter.password")


def test_the_exporters_listen_on_the_cluster_address_only_and_ask_for_prometheus():
    args = GS01.file("/etc/default/prometheus-node-exporter").content_string
    address = re.search(r"--web.listen-address=([0-9.]+):9100", args).group(1)
    assert address in GS01.check_output("hostname -I").split()  # the host's own address
    url = f"http://{address}:9100/metrics"
    assert GS01.check_output(f"{FETCH} {url} {shlex.quote(scrape_password())}") == "200"
    assert GS01.run(f"{FETCH} http://127.0.0.1:9100/metrics").rc != 0  # refused
    # a student on the login host: no metrics without Prometheus's password,
    # and no file of the textfile collector
    assert ok(as_user(THIRD, f"{FETCH} {url}")).strip() == "401"
    assert ok(as_user(THIRD, f"{FETCH} {url} wrong-password")).strip() == "401"
    folder = GS01.file("/var/lib/prometheus/node-exporter")
    assert (folder.mode, folder.user, folder.group) == (0o750, "root", "prometheus")
    assert as_user(THIRD, "ls /var/lib/prometheus/node-exporter").rc != 0
    assert as_user(THIRD, "cat /var/lib/prometheus/node-exporter/ie-usage-metrics.prom").rc != 0
    web = GS01.file("/etc/prometheus/node-exporter-web.yml")
    assert (web.mode, web.group) == (0o640, "prometheus")
    assert scrape_password() not in web.content_string  # a bcrypt hash only
    assert "$2" in web.content_string


def test_the_ui_is_behind_tls_and_a_login():
    """From another host, as a student: TLS with Prometheus's own CA, and no
    page or API answer without the admins' login; the password is on the
    monitoring host only, for root and Prometheus."""
    address = MONITORING.check_output("hostname -I").split()[0]
    ca = MONITORING.file("/etc/prometheus/tls/ca.crt").content_string
    GS01.check_output(f"printf %s {shlex.quote(ca)} > /tmp/prometheus-ca.crt")
    password = MONITORING.check_output("cat /etc/prometheus/web.password")
    assert len(password) >= 24
    secret = MONITORING.file("/etc/prometheus/web.password")
    assert (secret.mode, secret.user, secret.group) == (0o640, "root", "prometheus")
    for path in ("/graph", "/api/v1/query?query=up"):
        url = shlex.quote(f"https://{address}:9090{path}")
        ca_file = "/tmp/prometheus-ca.crt"
        assert ok(as_user(THIRD, f"{FETCH} {url} x x {ca_file}")).strip() == "401"
        assert ok(as_user(THIRD, f"{FETCH} {url} wrong admin {ca_file}")).strip() == "401"
        assert GS01.check_output(f"{FETCH} {url} {shlex.quote(password)} admin {ca_file}") == "200"
    plain = GS01.run(f"{FETCH} http://{address}:9090/graph {shlex.quote(password)} admin")
    assert plain.stdout.strip() != "200", plain.stdout  # no plain HTTP (Go answers 400)
    # without the CA the certificate is not trusted
    assert GS01.run(f"{FETCH} https://{address}:9090/graph").rc != 0
    web = MONITORING.file("/etc/prometheus/web.yml").content_string
    assert password not in web and "$2" in web
    # the admins' promtool on the monitoring host, as the guide says
    query = "promtool query instant --http.config.file=/etc/prometheus/query.yml"
    assert 'job="prometheus"' in MONITORING.check_output(f"{query} https://127.0.0.1:9090 up")


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
        found = api(f"/api/v1/query?query={urllib.parse.quote(expr)}")["result"]
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
    assert read == {"nodes": "1", "jobs": "1", "scheduler": "1", "accounting": "1"}, read


def value(expr):
    found = query(expr)
    return float(found[0]["value"][1]) if found else None


def test_a_students_container_and_job_are_in_their_usage_metrics():
    """Issue 29: what a student runs appears in the per-student metrics
    (ie-usage-metrics on the host, ie-slurm-metrics on the controller)."""
    ok(iep(THIRD, "run -d --name usage --cpus 1 --memory 256m box"))
    job = ok(as_user(THIRD, "sbatch --parsable -w gs01 -c 1 -o /dev/null --wrap 'sleep 300'"))
    try:
        for _ in range(30):
            if GS01.check_output(f"squeue -h -j {job.strip()} -o %T") == "RUNNING":
                break
            time.sleep(2)
        time.sleep(2)  # a second of accounting
        GS01.check_output("systemctl start ie-usage-metrics.service ie-slurm-metrics.service")
        running = len(json.loads(ok(iep(THIRD, "ps --format json"))))  # this one at least
        user = f'user="{THIRD}", host="gs01"'
        assert value(f"ie_student_containers{{{user}}} == {running}") == running >= 1
        assert value(f"ie_student_container_cpus{{{user}}}") >= 1
        assert value(f"ie_student_container_memory_bytes{{{user}}}") >= 256 * 2**20
        slurm = f'user="{THIRD}"'
        assert value(f'ie_student_jobs{{{slurm}, state="running"}} >= 1') >= 1
        assert value(f"ie_student_job_cpus{{{slurm}}} >= 1") >= 1
        assert value(f"ie_student_cpu_seconds{{{slurm}}} > 0") > 0
        # the red team's OWNER keeps data in the home, on CephFS
        assert value(f'max(ie_student_home_bytes{{user="{OWNER}"}}) > 0') > 0
        read = {r["metric"]["part"] for r in query('ie_usage_metrics_read{host="gs01"} == 1')}
        assert read == {"containers", "vms", "homes"}, read
    finally:
        iep(THIRD, "rm --force usage")
        GS01.run(f"scancel {job.strip()}")
    if running == 1:  # no other container of theirs: their series ends
        GS01.check_output("systemctl start ie-usage-metrics.service")
        theirs = urllib.parse.quote(f'ie_student_containers{{user="{THIRD}"}}')
        for _ in range(20):
            if not api(f"/api/v1/query?query={theirs}")["result"]:
                break
            time.sleep(3)
        else:
            raise AssertionError(f"{THIRD}'s container is still counted")


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


def test_the_registrys_certificate_is_watched():
    """The blackbox exporter (localhost only) opens the registry over TLS,
    verified with the CA the monitoring host trusts, and reports when its
    certificate ends (the lab's lasts 825 days)."""
    (probe,) = [t for t in targets() if t["labels"]["job"] == "tls"]
    assert probe["labels"]["instance"] == "https://registry01:5000/v2/", probe
    assert value('probe_success{job="tls"} == 1') == 1
    left = value('probe_ssl_earliest_cert_expiry{job="tls"} - time()')
    assert 30 * 86400 < left <= 825 * 86400, left  # no alert
    address = MONITORING.check_output("hostname -I").split()[0]
    assert MONITORING.run(f"{FETCH} http://127.0.0.1:9115/metrics").stdout.strip() == "200"
    assert MONITORING.run(f"{FETCH} http://{address}:9115/metrics").rc != 0


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


def test_the_teachers_weekly_usage_report_is_written():
    """ie-usage-report (Mondays; started here by hand): a CSV and an SVG of
    the week before, from Prometheus over TLS with its login, readable by
    root and the admins' group only. Every student Slurm's accounting counted
    this week has a row, with the same CPU hours."""
    MONITORING.check_output("systemctl start ie-usage-report.service")
    week = MONITORING.check_output("date -d yesterday +%G-W%V")
    folder = "/var/lib/ie-cluster/usage-reports"
    csv_file, svg_file = (
        MONITORING.file(f"{folder}/usage-{week}.{kind}") for kind in ("csv", "svg")
    )
    for made in (csv_file, svg_file):
        assert (made.mode, made.user, made.group) == (0o640, "root", "ieadmin")
    assert MONITORING.file(folder).mode == 0o750
    lines = csv_file.content_string.splitlines()
    assert lines[0] == "user,cpu_hours,gpu_hours,containers_max,vms_max,home_gib"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    counted = {
        r["metric"]["user"]: float(r["value"][1])
        for r in query('ie_student_cpu_seconds{window="7d"}')
    }
    assert counted and set(counted) <= set(rows), (counted, rows)
    for user, seconds in counted.items():
        assert abs(float(rows[user][1]) - seconds / 3600) < 0.05, (user, rows[user], seconds)
    svg = svg_file.content_string
    assert svg.startswith("<svg") and all(f">{user}</text>" in svg for user in rows)


def test_the_page_of_graphs_is_served_behind_the_login():
    """ie-graphs (every 5 minutes; started here by hand) draws the main graphs
    as inline SVG into the page Prometheus serves at /consoles/ie-cluster.html,
    behind its TLS and login."""
    MONITORING.check_output("systemctl start ie-graphs.service")
    made = MONITORING.file("/var/lib/ie-cluster/consoles/ie-cluster.html")
    assert (made.mode, made.user, made.group) == (0o640, "root", "prometheus")
    url = "https://127.0.0.1:9090/consoles/ie-cluster.html"
    ca = "/etc/prometheus/tls/ca.crt"
    assert MONITORING.check_output(f"{FETCH} {url} wrong admin {ca}") == "401"
    page = MONITORING.check_output(f"{API} /consoles/ie-cluster.html")  # with the login
    for section in ("Cluster", "Ceph", "Slurm", "Backups", "Students"):
        assert f"<h2>{section}</h2>" in page
    drawn = page.count("<polyline")
    assert drawn >= 10 and "cannot ask Prometheus" not in page, page
    assert "<script" not in page
