"""The students' web console (issue 28), deployed by site.yml on gs01 and
used from outside as two directory students would: the journey in
Chromium (console_browser.py, which saves the screenshots), the refusals
and attacks with an HTTP client (tools/lab/console_client.py) that
verifies the lab CA.

Their passwords are set in the lab's directory for this test and removed
after it (the lab's students have none), and a directory account in no
allowed group is made for it. Each student's journey goes through the
console, and each check of the result reads the host as root. The attacks
are the second student's, on the first one's things, by URL, by form and
by a forged or replayed session; host_state() shows that nothing changed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import secrets
import shlex
import socket
import ssl
import sys
import tarfile
import time
from pathlib import Path

import pytest
import testinfra
from console_browser import Chrome
from selenium.webdriver.common.by import By
from students import FIRST, GS01, OWNER, THIRD, as_user, host_state, iep, iev, ok

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tools.lab.console_client import Browser, console_url
from tools.lab.directory import Directory

# molecule/site's gs01 and ldap01, or the lab's (IE_REDTEAM_HOSTS: ie-lab-gs01, ...)
URL = console_url(FIRST)
LDAP = FIRST.replace("gs01", "ldap01")

VISITOR = "visitor1"  # in the directory, in neither the students' nor the admins' group
ADMIN = "overseer1"  # in the directory, in the admins' group (by its number)
SNAPSHOT = "/var/lib/ie-console-overview/overview.json"
MARK = "console-says-hello"
CONTAINERFILE = f"""\
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "sh", "-c", "echo {MARK}; trap 'exit 0' TERM; /bin/busybox sleep 600 & wait"]
"""
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """{user: password} for the two students and the visitor; the CA file."""
    lab = Directory(LDAP)
    passwords = {u: "pw-" + secrets.token_urlsafe(12) for u in (OWNER, THIRD, VISITOR, ADMIN)}
    lab.add_account(VISITOR, 3301, 3001)  # staff only
    lab.add_account(ADMIN, 3302, int(GS01.check_output("getent group ieadmin").split(":")[2]))
    for user, password in passwords.items():
        lab.set_password(user, password)
    # A fresh server: no failed logins counted by an earlier run of these tests.
    GS01.check_output("systemctl restart ie-console.service")
    ca = tmp_path_factory.mktemp("console") / "ca.crt"
    ca.write_text(GS01.file("/etc/ie/console-tls/ca.crt").content_string)
    yield passwords, str(ca)
    for user in (OWNER, THIRD):
        lab.drop_password(user)
    lab.delete_account(VISITOR)
    lab.delete_account(ADMIN)
    GS01.run(f"rm -rf /home/{ADMIN}")  # made at its login


def browser(accounts, user=None, lang="en") -> Browser:
    passwords, ca = accounts
    b = Browser(ca, URL, lang)
    if user:
        page = b.login(user, passwords[user])
        assert page.status == 200 and page.url.endswith("/containers"), page.text
    return b


@pytest.fixture(scope="module")
def alice(accounts):
    return browser(accounts, OWNER)


@pytest.fixture(scope="module")
def bob(accounts):
    return browser(accounts, THIRD)


def context_archive() -> bytes:
    """A build context as a student uploads it: Containerfile and busybox."""
    out = io.BytesIO()
    binary = base64.b64decode(GS01.check_output("base64 -w0 /bin/busybox"))
    assert len(binary) == GS01.file("/bin/busybox").size
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content, mode in (
            ("Containerfile", CONTAINERFILE.encode(), 0o644),
            ("busybox", binary, 0o755),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def containers(user):
    return {c["name"]: c for c in json.loads(ok(iep(user, "ps --all --format json")))}


def images(user):
    return [
        i["image"]
        for i in json.loads(ok(iep(user, "images --format json")))
        if i["image"].startswith("cweb")
    ]


def vms(user):
    return {d["name"]: d for d in json.loads(ok(iev(user, "list --all --format json")))}


# -- the service ----------------------------------------------------------------------------


def test_the_console_runs_sandboxed_as_its_own_account_behind_tls(accounts):
    page = browser(accounts).get("/login")
    assert page.status == 200 and 'name="password"' in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    # The server runs as ie-console, never root, with no sudo rule.
    owners = GS01.check_output(
        "systemctl show -p MainPID --value ie-console.service | xargs ps -o user= -p"
    )
    assert owners.strip() == "ie-console"
    assert not GS01.file("/etc/sudoers.d/ie_console_agent").exists
    props = GS01.check_output(
        "systemctl show -p ProtectSystem -p UMask -p User ie-console.service"
    ).split()
    assert {"ProtectSystem=full", "UMask=0077", "User=ie-console"} <= set(props)
    assert GS01.file("/etc/ie/console-tls/console.key").mode == 0o640
    assert GS01.file("/etc/ie/console-tls/session.key").mode == 0o640
    # No plain HTTP on the port, and no certificate but the console's own CA's.
    host = URL.split("//")[1]
    with socket.create_connection((host, 443), timeout=10) as plain:
        plain.sendall(b"GET /login HTTP/1.0\r\n\r\n")
        try:
            answer = plain.recv(4096)
        except OSError:
            answer = b""
        assert b"Content-Security-Policy" not in answer
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(
            socket.create_connection((host, 443), timeout=10), server_hostname=host
        )


def test_a_wrong_password_a_visitor_and_a_login_without_csrf_token_are_refused(accounts):
    passwords, _ = accounts
    b = browser(accounts)
    wrong = b.login(OWNER, passwords[OWNER] + "x")
    assert wrong.status == 401 and "Wrong login name or password." in wrong.messages()
    visitor = b.login(VISITOR, passwords[VISITOR])  # the right password, not a student
    assert visitor.status == 401 and "Wrong login name or password." in visitor.messages()
    assert b.get("/containers").url.endswith("/login")
    b.get("/login")
    forged = b.post("/login", {"user": OWNER, "password": passwords[OWNER]}, token=False)
    assert forged.status == 400
    assert b.get("/containers").url.endswith("/login")


# -- the journey, in a real browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def chromes(accounts, tmp_path_factory):
    """Chromium as each of the two students, logged in through the page."""
    passwords, _ = accounts
    cert = GS01.file("/etc/ie/console-tls/console.crt").content_string
    made = {}
    for user in (OWNER, THIRD):
        made[user] = Chrome(URL, cert, tmp_path_factory.mktemp(f"downloads-{user}"))
    made[OWNER].open("/login")
    made[OWNER].shot("01-login")
    for user, chrome in made.items():
        chrome.login(user, passwords[user])
        assert chrome.driver.current_url.endswith("/containers"), chrome.driver.page_source
    yield made
    for chrome in made.values():
        chrome.quit()


def test_a_student_builds_an_uploaded_context_in_the_browser(chromes, tmp_path):
    me = chromes[OWNER]
    context = tmp_path / "context.tar.gz"
    context.write_bytes(context_archive())
    me.open("/images")
    me.fill("/images/build", tag="cweb:1", context=str(context))
    page = me.press("/images/build")
    assert "<td>cweb:1</td>" in me.open("/images"), me.messages()
    assert page
    me.shot("03-images")


def run_from_the_form(chrome, user, name):
    """``user`` runs cweb:1 as ``name`` from the containers page; it runs."""
    chrome.open("/containers")
    chrome.fill("/containers/run", image="cweb:1", name=name)
    chrome.press("/containers/run")
    assert containers(user)[name]["state"] == "running", chrome.messages()


def test_it_runs_the_container_and_reads_its_logs(chromes):
    me = chromes[OWNER]
    run_from_the_form(me, OWNER, "cweb1")
    me.open("/containers")
    me.shot("02-containers")
    for _ in range(30):
        if MARK in me.open("/containers/cweb1/logs"):
            break
        time.sleep(1)
    assert MARK in me.driver.find_element(By.CSS_SELECTOR, "pre.logs").text
    me.shot("04-logs")


def test_it_downloads_the_image_as_a_sif_the_same_as_on_the_host(chromes):
    me = chromes[OWNER]
    me.open("/images")
    me.click("/images/cweb:1/sif")
    body = me.downloaded("cweb-1.sif")
    made = as_user(OWNER, "sha256sum cweb-1.sif").stdout.split()[0]
    assert hashlib.sha256(body).hexdigest() == made


def test_it_shares_the_image_and_the_other_student_sees_it(chromes):
    me, other = chromes[OWNER], chromes[THIRD]
    me.open("/images")
    me.press("/images/cweb:1/push")
    me.fill("/images/share", image="cweb:1", user=THIRD)
    me.press("/images/share")
    assert f"{OWNER}/shares/{THIRD}/cweb" in GS01.check_output(
        f"su - {THIRD} -c 'sudo -n ie-podman registry search'"
    ), me.messages()
    page = other.open("/registry")
    assert re.search(rf"{OWNER}/\S*cweb", page), page
    other.shot("05-registry-shared")
    # The other student pulls their own copy and runs it ...
    other.fill("/registry/pull", image=f"{OWNER}/cweb:1")
    other.press("/registry/pull")
    assert "<td>cweb:1</td>" in other.open("/images"), other.messages()
    run_from_the_form(other, THIRD, "shared1")
    # ... which is theirs to remove; the owner's image and share stay.
    other.press("/containers/shared1/stop")
    other.press("/containers/shared1/rm")
    other.open("/images")
    other.press("/images/cweb:1/rmi")
    assert "shared1" not in containers(THIRD) and not images(THIRD)
    assert "cweb:1" in images(OWNER)


def test_it_defines_and_starts_a_vm_and_shows_its_interfaces(chromes):
    me = chromes[OWNER]
    me.open("/vms")
    me.fill("/vms/define", template="rt", name="cvm", memory="64", disk="1")
    me.press("/vms/define")
    assert "cvm" in vms(OWNER), me.messages()
    me.press("/vms/cvm/start")
    assert vms(OWNER)["cvm"]["state"] == "running", me.messages()
    me.open("/vms")
    me.shot("06-vms")
    assert "<table>" in me.open("/vms/cvm/interfaces")


def test_it_submits_and_cancels_a_job(chromes):
    me = chromes[OWNER]
    me.open("/jobs")
    me.fill("/jobs/submit", script="#!/bin/sh\nsleep 600\n")
    me.press("/jobs/submit")
    job = re.search(r"(\d+)", " ".join(me.messages())).group(1)
    assert f"<td>{job}</td>" in me.open("/jobs")
    me.shot("07-jobs")
    me.press(f"/jobs/{job}/cancel")
    for _ in range(30):
        state = GS01.check_output(f"sacct -n -X -j {job} -o State%20").strip()
        if state.startswith("CANCELLED"):
            break
        time.sleep(1)
    assert state.startswith("CANCELLED")
    me.open("/history")
    me.shot("08-history")


# -- the attacks -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alices_job(alice):
    """A pending job of alice's, named with a script tag."""
    submit = f"sbatch --parsable --begin=now+1hour -J {shlex.quote(XSS)} --wrap true"
    out = ok(as_user(OWNER, submit))
    yield out.strip()
    GS01.run(f"scancel {out.strip()}")


def test_names_holding_html_are_shown_as_text(alice, alices_job):
    page = alice.get("/jobs").text
    assert alices_job in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page


def test_the_other_student_cannot_see_or_touch_them_by_url_or_form(alice, bob, alices_job):
    before = host_state()
    assert "cweb1" not in bob.get("/containers").text
    logs = bob.get("/containers/cweb1/logs")
    assert logs.status == 404 and MARK not in logs.text
    assert bob.get("/vms/cvm/interfaces").status == 404
    bob.get("/containers")
    for path in (
        "/containers/cweb1/stop",
        "/containers/cweb1/rm",
        "/vms/cvm/destroy",
        "/vms/cvm/undefine",
        f"/jobs/{alices_job}/cancel",
        "/images/cweb:1/rmi",
    ):
        page = bob.post(path)
        assert page.status in (200, 404), (path, page.status)
    sif = bob.post("/images/cweb:1/sif")
    assert "octet-stream" not in sif.headers.get("Content-Type", "")
    # a form naming alice's image as bob's own changes nothing either
    bob.post("/containers/run", {"image": f"{OWNER}/cweb:1", "name": "stolen"})
    assert host_state() == before
    assert containers(OWNER)["cweb1"]["state"] == "running"
    assert GS01.check_output(f"squeue -h -j {alices_job} -o %T").strip() == "PENDING"
    assert not GS01.file(f"/home/{THIRD}/cweb-1.sif").exists


def test_a_forged_or_replayed_session_and_a_missing_csrf_token_are_refused(accounts, alice):
    before = host_state()
    # no token: refused, nothing stopped
    assert alice.post("/containers/cweb1/stop", token=False).status == 400
    # a cookie changed by one character is not a session
    stolen = alice.cookie()
    forged = Browser(accounts[1], URL)
    value = ("X" if stolen.value[0] != "X" else "Y") + stolen.value[1:]  # its signed part
    forged.jar.set_cookie(_cookie(stolen, value))
    assert forged.get("/containers").url.endswith("/login")
    # alice's own cookie, replayed after her logout, is not one either
    second = browser(accounts, OWNER)
    replay = Browser(accounts[1], URL)
    replay.jar.set_cookie(second.cookie())
    assert replay.get("/containers").url.endswith("/containers")
    second.get("/containers")
    second.post("/logout")
    assert replay.get("/containers").url.endswith("/login")
    assert host_state() == before


def _cookie(like, value):
    made = copy.copy(like)
    made.value = value
    return made


# -- the admins' overview ------------------------------------------------------------------


def test_an_admin_sees_every_students_things_and_the_clusters_health(
    accounts, alice, alices_job, tmp_path
):
    """Read-only, from root's snapshot; the students and the console cannot
    read it, and its key on the backup server runs nothing but the status."""
    bobs_job = ok(as_user(THIRD, "sbatch --parsable --begin=now+1hour -J bobs --wrap true")).strip()
    try:
        GS01.check_output("systemctl start ie-console-overview.service")  # now, not in a minute
        snapshot = GS01.file(SNAPSHOT)
        assert (snapshot.user, snapshot.group, snapshot.mode) == ("root", "ieadmin", 0o640)
        page = browser(accounts, ADMIN).get("/overview")
        assert page.status == 200, page.text
        text = page.text
        for seen in (OWNER, THIRD, "cweb1", "cvm", alices_job, bobs_job, "gs01"):
            assert f"<td>{seen}</td>" in text, seen
        assert re.search(r"<td>HEALTH_(OK|WARN)</td>", text), text
        assert 'class="message"' not in text, text  # every part was read, every graph asked
        # The graphs, from Prometheus with the overview's own login: every
        # panel, and the hosts up drawn to now.
        graphs = text[text.index('<div id="graphs">') :]
        assert graphs.count('<div class="graph">') == 16, graphs
        hosts_up = graphs.split("<h4>Hosts up</h4>")[1].split('<div class="graph">')[0]
        assert "<polyline" in hosts_up, hosts_up
        backup = testinfra.get_host(f"podman://{FIRST.replace('gs01', 'backup01')}")
        # (exit status 1: a source is stale or never copied; a report all the same)
        status = json.loads(backup.run("ie-backup-status --format json").stdout)
        assert status and all(f"<td>{row['source']}</td>" in text for row in status)
        chrome = Chrome(URL, GS01.file("/etc/ie/console-tls/console.crt").content_string, tmp_path)
        try:
            chrome.login(ADMIN, accounts[0][ADMIN])
            chrome.open("/overview")
            chrome.shot("09-overview")
            # the graphs are drawn in the page, below its tables
            drawn = chrome.driver.find_elements(By.CSS_SELECTOR, "#graphs div.graph")
            assert len(drawn) == 16 and "<" not in chrome.driver.title, chrome.driver.title
            chrome.driver.execute_script("document.getElementById('graphs').scrollIntoView()")
            assert drawn[0].find_element(By.TAG_NAME, "svg").is_displayed()
            chrome.shot("10-overview-graphs")
        finally:
            chrome.quit()
    finally:
        GS01.run(f"scancel {bobs_job}")
    # Not for students, and not for the console's own account.
    assert alice.get("/overview").status == 404
    assert "Permission denied" in as_user(OWNER, f"cat {SNAPSHOT}").stderr
    assert GS01.run(f"runuser -u ie-console -- cat {SNAPSHOT}").rc != 0
    # The overview's Prometheus password is root's on the console's host; the
    # Prometheus host keeps only its hash, beside the admins' login.
    secret = GS01.file("/etc/ie/console-overview/prometheus.password")
    assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)
    monitoring = testinfra.get_host(f"podman://{FIRST.replace('gs01', 'registry01')}")
    logins = monitoring.file("/etc/prometheus/web.yml").content_string
    assert '"ie-console-overview@gs01": "$2' in logins and '"admin": "$2' in logins
    assert secret.content_string.strip() not in logins
    # The key on the backup server runs ie-backup-status whatever it is asked.
    settings = json.loads(GS01.file("/etc/ie/ie-console-overview.json").content_string)
    asked = GS01.run(
        f"ssh -F none -i {settings['backup_key']} -o BatchMode=yes"
        f" -o UserKnownHostsFile={settings['backup_known_hosts']}"
        f" -o StrictHostKeyChecking=yes root@{settings['backup_server']}"
        " 'touch /tmp/overview-was-here; id'"
    )
    assert asked.rc in (0, 1), asked.stderr
    assert [r["source"] for r in json.loads(asked.stdout)] == [r["source"] for r in status]
    assert not backup.file("/tmp/overview-was-here").exists


def test_the_students_things_are_removed_through_the_console(alice):
    alice.get("/containers")
    alice.post("/containers/cweb1/stop")
    alice.get("/containers")
    alice.post("/containers/cweb1/rm")
    alice.get("/vms")
    alice.post("/vms/cvm/destroy")
    alice.get("/vms")
    alice.post("/vms/cvm/undefine")
    alice.get("/images")
    alice.post("/images/cweb:1/rmi")
    assert "cweb1" not in containers(OWNER)
    assert "cvm" not in vms(OWNER)
    ok(iep(OWNER, f"registry unshare cweb:1 {THIRD}"))
    as_user(OWNER, "rm -f cweb-1.sif")


def test_repeated_failed_logins_slow_down(accounts):
    """Last: the address it tries from waits after three failures."""
    b = browser(accounts)
    statuses = [b.login("no-such-student", "x").status for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    time.sleep(5)  # the next module's logins from this address are not slowed
