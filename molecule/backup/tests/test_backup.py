"""Off-site backups as admins see them: the backup server pulls two sources.

The tests run in file order: the keys' restrictions first (one key per backup
point, each reading its own tree alone), then the daily level eight times, the
weekly and monthly rotations (checked against a model of rsnapshot's
rotation), the lock, a restore drill and the status check, truthful for a run
with warnings and for a source whose directory is gone.
"""

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
import testinfra

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from tools.docs import runnable  # noqa: E402

testinfra_hosts = ["podman://bk-backup01"]
ROOT = "/srv/backup/snapshots"
KEYS = {slug: f"/root/.ssh/ie-backup-{slug}_ed25519" for slug in ("homes", "web", "secrets-gs01")}
KEY = KEYS["homes"]  # reads /home on bk-gs01


def ssh(key=KEY):
    return f"ssh -i {key} -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10"


SSH = ssh()
LEVELS = [("daily", 7), ("weekly", 4), ("monthly", 12)]
MARKER = "/home/student1/generation.txt"


def node(name):
    return testinfra.get_host(f"podman://{name}")


GS01 = node("bk-gs01")
WEB01 = node("bk-web01")


# ---- configuration and schedule


def test_configuration_passes_configtest_and_uses_tabs(host):
    assert host.run("rsnapshot -c /etc/rsnapshot.conf configtest").stdout.strip() == "Syntax OK"
    lines = host.file("/etc/rsnapshot.conf").content_string.splitlines()
    retain = [line.split("\t") for line in lines if line.startswith("retain")]
    assert retain == [["retain", name, str(keep)] for name, keep in LEVELS]
    backups = [line.split("\t") for line in lines if line.startswith("backup")]
    key = "+ssh_args=-i /root/.ssh/ie-backup-{}_ed25519"
    assert backups == [
        ["backup", "root@bk-gs01:/home/", "homes/", key.format("homes") + ",exclude=*/.cache/"],
        ["backup", "root@bk-web01:/var/www/", "web/", key.format("web")],
        [
            "backup",
            "root@bk-gs01:/var/backups/ie-secrets/",
            "secrets-gs01/",
            key.format("secrets-gs01"),
        ],
    ]


@pytest.mark.parametrize(
    "level,calendar",
    [("daily", "*-*-* 00:00:00"), ("weekly", "Mon *-*-* 09:00:00"), ("monthly", "*-*-01 12:00:00")],
)
def test_each_level_has_its_timer(host, level, calendar):
    timer = host.service(f"ie-rsnapshot-{level}.timer")
    assert timer.is_enabled and timer.is_running
    shown = host.check_output(f"systemctl show -P TimersCalendar ie-rsnapshot-{level}.timer")
    assert f"OnCalendar={calendar} " in shown.replace("\n", " ")
    assert (
        host.check_output(f"systemctl show -P Unit ie-rsnapshot-{level}.timer")
        == f"ie-rsnapshot@{level}.service"
    )


def test_snapshots_and_keys_are_root_only(host):
    assert host.file(ROOT).mode == 0o700 and host.file(ROOT).user == "root"
    for path in KEYS.values():
        key = host.file(path)
        assert key.mode == 0o600 and key.user == "root"
    # the key that read every source whole is gone
    assert not host.file("/root/.ssh/ie-backup_ed25519").exists


# ---- what the backup key may and may not do


@pytest.mark.parametrize(
    "source, slug, tree, points",
    [
        ("bk-gs01", "homes", "/home", 2),
        ("bk-gs01", "secrets-gs01", "/var/backups/ie-secrets", 2),
        ("bk-web01", "web", "/var/www", 1),
    ],
)
def test_each_key_is_restricted_to_its_tree_on_its_source(source, slug, tree, points):
    keys = node(source).file("/root/.ssh/authorized_keys").content_string.splitlines()
    assert len([line for line in keys if "ie-backup" in line]) == points  # one per point
    lines = [line for line in keys if line.endswith(f" ie-backup-{slug}@bk-backup01")]
    assert len(lines) == 1, keys
    assert lines[0].startswith(
        f'from="10.213.4.31",restrict,command="/usr/bin/rrsync -ro -absolute {tree}" ssh-ed25519 '
    )


def test_backup_key_reads_its_tree_with_rsync(host):
    host.check_output(
        f"rm -rf /tmp/read && rsync -e {shlex.quote(ssh(KEYS['web']))}"
        " root@bk-web01:/var/www/html/index.html /tmp/read"
    )
    assert "ie department" in host.file("/tmp/read").content_string


@pytest.mark.parametrize("path", ["/etc/", "/etc/shadow", "/root/", "/", "/home/../etc/"])
def test_a_key_limited_to_one_tree_cannot_list_another(host, path):
    listing = host.run(f"rsync --list-only -e {shlex.quote(SSH)} root@bk-gs01:{shlex.quote(path)}")
    assert "shadow" not in listing.stdout and "passwd" not in listing.stdout, listing.stdout
    assert "authorized_keys" not in listing.stdout
    if path != "/":  # "/" is the top of the key's own tree, /home
        assert listing.rc != 0, listing.stdout


def test_one_points_key_is_refused_on_another_source(host):
    result = host.run(f"rsync --list-only -e {shlex.quote(ssh(KEYS['web']))} root@bk-gs01:/home/")
    assert result.rc != 0
    assert "Permission denied" in result.stderr


def test_backup_key_opens_no_shell(host):
    for command in ["id", "/bin/sh -c id", "-tt"]:
        cmd = (
            f"{SSH} -tt root@bk-gs01"
            if command == "-tt"
            else f"{SSH} root@bk-gs01 {shlex.quote(command)}"
        )
        result = host.run(cmd + " </dev/null")
        assert result.rc != 0, command
        assert "uid=0" not in result.stdout


def test_backup_key_cannot_write_to_a_source(host):
    result = host.run(
        f"rsync -e {shlex.quote(SSH)} /etc/hostname root@bk-gs01:/tmp/written-by-backup-key"
    )
    assert result.rc != 0
    assert "read-only" in result.stderr
    assert not GS01.file("/tmp/written-by-backup-key").exists


def test_backup_key_is_refused_from_anywhere_else(host):
    private = host.file(KEY).content_string
    WEB01.run("install -d -m 0700 /root/stolen")
    try:
        WEB01.run(
            f"printf %s {shlex.quote(private)} > /root/stolen/key && chmod 0600 /root/stolen/key"
        )
        result = WEB01.run(
            "rsync -e 'ssh -i /root/stolen/key -o BatchMode=yes -o StrictHostKeyChecking=no' "
            "root@bk-gs01:/etc/hostname /root/stolen/copy"
        )
        assert result.rc != 0
        assert "Permission denied" in result.stderr
        assert not WEB01.file("/root/stolen/copy").exists
    finally:
        WEB01.run("rm -rf /root/stolen")


# ---- the levels, on the real configuration and units


def model_run(state, level):
    """rsnapshot's rotation: the smallest level copies afresh and drops its
    oldest; a larger level shifts its own and takes the oldest of the level
    below (a gap if that one is not there yet)."""
    names = [name for name, _ in LEVELS]
    keep = dict(LEVELS)
    index = names.index(level)
    if index == 0:
        state[level] = [state["generation"], *state[level][: keep[level] - 1]]
    else:
        below = names[index - 1]
        taken = state[below][keep[below] - 1] if len(state[below]) >= keep[below] else None
        state[below] = state[below][: keep[below] - 1]
        state[level] = [taken, *state[level][: keep[level] - 1]]


def real_run(host, level, state):
    if level == "daily":
        state["generation"] += 1
        # A day apart, as the real runs are: rsync's quick check compares size
        # and mtime, and two runs within one second would look unchanged.
        day = 1_700_000_000 + state["generation"] * 86400
        GS01.check_output(f"echo {state['generation']} > {MARKER} && touch -d @{day} {MARKER}")
    host.check_output(f"systemctl start ie-rsnapshot@{level}.service")
    model_run(state, level)


def assert_snapshots_match(host, state):
    for name, keep in LEVELS:
        for i in range(keep + 1):
            path = f"{ROOT}/{name}.{i}"
            want = state[name][i] if i < len(state[name]) else None
            if want is None:
                assert not host.file(path).exists, path
            else:
                assert host.file(
                    f"{path}/homes{MARKER.removeprefix('/home')}"
                ).content_string.strip() == str(want), path


@pytest.fixture(scope="module")
def state():
    return {"generation": 0, "daily": [], "weekly": [], "monthly": []}


def test_daily_eight_times_keeps_exactly_seven(host, state):
    for _ in range(8):
        real_run(host, "daily", state)
    assert sorted(host.check_output(f"ls {ROOT}").split()) == [f"daily.{i}" for i in range(7)]
    assert_snapshots_match(host, state)
    # The newest holds the eighth copy, the oldest the second; the first is gone.
    assert (
        host.file(f"{ROOT}/daily.0/homes{MARKER.removeprefix('/home')}").content_string.strip()
        == "8"
    )
    assert (
        host.file(f"{ROOT}/daily.6/homes{MARKER.removeprefix('/home')}").content_string.strip()
        == "2"
    )


def test_unchanged_files_are_hard_links_between_snapshots(host):
    inode = "stat -c %i {}/web/html/index.html"
    assert host.check_output(inode.format(f"{ROOT}/daily.0")) == host.check_output(
        inode.format(f"{ROOT}/daily.6")
    )


def test_weekly_and_monthly_rotations(host, state):
    # Four weeks of seven days, then the month: weekly.3 becomes monthly.0.
    for _ in range(4):
        real_run(host, "weekly", state)
        for _ in range(7):
            real_run(host, "daily", state)
    assert_snapshots_match(host, state)
    assert host.file(f"{ROOT}/weekly.3").exists
    oldest_weekly = state["weekly"][3]
    real_run(host, "monthly", state)
    assert_snapshots_match(host, state)
    assert host.file(
        f"{ROOT}/monthly.0/homes{MARKER.removeprefix('/home')}"
    ).content_string.strip() == str(oldest_weekly)
    assert not host.file(f"{ROOT}/weekly.3").exists


def test_levels_wait_for_each_other_on_one_lock(host):
    before = host.check_output(f"stat -c %Y {ROOT}/daily.0")
    host.check_output(
        "systemd-run --unit ie-test-holds-lock flock /run/lock/ie-rsnapshot.lock sleep 8"
    )
    host.check_output("sleep 1; systemctl start --no-block ie-rsnapshot@daily.service; sleep 3")
    # Still waiting for the lock: no copy has started.
    assert (
        host.check_output("systemctl show -P ActiveState ie-rsnapshot@daily.service")
        == "activating"
    )
    assert host.check_output(f"stat -c %Y {ROOT}/daily.0") == before
    active = "systemctl show -P ActiveState ie-rsnapshot@daily.service"
    host.check_output(
        f"for i in $(seq 60); do [ $({active}) = inactive ] && exit 0; sleep 1; done; exit 1"
    )
    assert host.check_output("systemctl show -P Result ie-rsnapshot@daily.service") == "success"


# ---- restore drill

GUIDE = runnable.blocks(REPO / "docs" / "admin-guide.md")


def guide_steps(name):
    """The admin guide's block ``name`` as (where, kind, text) in order: a
    "# on X" comment says where the lines after it run; an indented comment
    line is a line to append by hand ("append"); other comments are prose."""
    steps, where = [], None
    for line in GUIDE[name].replace("\\\n", " ").splitlines():
        on = re.match(r"# on (the backup server|gs01)\b", line)
        if on:
            where = on.group(1)
        elif line.startswith("#   "):
            steps.append((where, "append", line.strip("# ")))
        elif line.strip() and not line.startswith("#"):
            steps.append((where, "run", line))
    return steps


def restore_home_as_the_guide_says(host):
    """The restore key made on the backup server, its line appended on gs01
    (a forced rrsync that may only write into /home), the snapshot copied
    back; then the line and the key pair removed, as the block ends. The
    lab's gs01 is bk-gs01."""
    hosts = {"the backup server": host, "gs01": GS01}
    host.check_output("rm -f /root/.ssh/restore /root/.ssh/restore.pub")
    pub, listed = None, ""
    try:
        for where, kind, text in guide_steps("restore-home"):
            if kind == "append":
                assert where == "gs01" and pub, (where, text)
                line = text.replace("<the restore.pub line>", pub)
                GS01.check_output(f"echo {shlex.quote(line)} >> /root/.ssh/authorized_keys")
                continue
            text = text.replace("root@gs01:", "root@bk-gs01:")
            result = hosts[where].run(f"bash -c {shlex.quote(runnable.script(text))}")
            assert result.rc == 0, f"{where}: {text}\n{result.stderr}"
            if text.startswith("cat /root/.ssh/restore.pub"):
                pub = result.stdout.strip()
            if text.startswith("ls "):
                listed = result.stdout
    finally:
        GS01.check_output("sed -i '/ ie-restore$/d' /root/.ssh/authorized_keys")
        host.check_output("rm -f /root/.ssh/restore /root/.ssh/restore.pub")
    assert pub and pub.endswith(" ie-restore")
    assert "daily.0" in listed.split()


def test_restore_drill_brings_back_deleted_and_corrupted_files(host):
    home = "/home/student1"
    GS01.check_output(
        f"head -c 300000 /dev/urandom > {home}/thesis.pdf"
        f" && echo 'int main(void){{return 0;}}' > {home}/main.c"
        f" && mkdir -p {home}/.cache && echo junk > {home}/.cache/x && chown -R student1: {home}"
    )
    host.check_output("systemctl start ie-rsnapshot@daily.service")
    before = GS01.check_output(f"cd {home} && sha256sum thesis.pdf main.c")
    # The excluded cache was not copied.
    assert not host.file(f"{ROOT}/daily.0/homes{home.removeprefix('/home')}/.cache").exists

    # Lose one file and corrupt another, keeping its size and time (rsync's
    # quick check would not notice: the drill restores with --checksum).
    GS01.check_output(
        f"rm {home}/thesis.pdf && cp -p {home}/main.c /tmp/orig.c"
        f" && printf 'int main(void){{return 1;}}\\n' > {home}/main.c"
        f" && touch -r /tmp/orig.c {home}/main.c"
    )
    assert GS01.check_output(f"cd {home} && sha256sum main.c") not in before

    # The admin restores with their own access (the backup key is read-only by
    # design), as the admin guide's block "restore-home" says, run as written.
    restore_home_as_the_guide_says(host)
    assert GS01.check_output(f"cd {home} && sha256sum thesis.pdf main.c") == before
    assert GS01.file(f"{home}/thesis.pdf").user == "student1"
    assert GS01.file(f"{home}/main.c").user == "student1"


# ---- the status check admins run


def status(host, *args):
    result = host.run("ie-backup-status --format json " + " ".join(args))
    return result.rc, {row["source"]: row for row in json.loads(result.stdout)}


def test_status_says_every_source_is_good(host):
    rc, rows = status(host)
    assert rc == 0
    assert set(rows) == {
        "root@bk-gs01:/home/",
        "root@bk-web01:/var/www/",
        "root@bk-gs01:/var/backups/ie-secrets/",
    }
    assert all(row["state"] == "good" and row["last_result"] == "ok" for row in rows.values())
    table = host.check_output("ie-backup-status")
    assert table.splitlines()[0].split()[:3] == ["SOURCE", "DEST", "LAST"]


def test_each_sources_copy_time_and_the_snapshots_sizes_are_metrics(host):
    """What the two collector timers write for node-exporter: how long each
    source's last copy took, and the sizes du measures (a file unchanged
    between snapshots is a hard link, counted once)."""
    from prometheus_client.parser import text_string_to_metric_families

    def samples(unit):
        host.check_output(f"systemctl start {unit}.service")
        text = host.file(f"/var/lib/prometheus/node-exporter/{unit}.prom").content_string
        return [s for f in text_string_to_metric_families(text) for s in f.samples]

    _rc, rows = status(host)
    took = {
        s.labels["source"]: s.value
        for s in samples("ie-backup-metrics")
        if s.name == "ie_backup_last_duration_seconds"
    }
    assert set(took) == set(rows) and all(0 <= t < 600 for t in took.values()), took
    sizes = samples("ie-backup-sizes")
    by_source = {s.labels["source"]: s.value for s in sizes if s.name == "ie_backup_source_bytes"}
    snaps = {s.labels["snapshot"]: s.value for s in sizes if s.name == "ie_backup_snapshot_bytes"}
    assert set(by_source) == set(rows) and all(v > 0 for v in by_source.values()), by_source
    assert snaps["daily.0"] == sum(by_source.values())
    homes = int(host.check_output(f"du -s -B1 {ROOT}/daily.0/homes").split()[0])
    assert by_source["root@bk-gs01:/home/"] == homes
    # daily.1 holds only what changed since: far less than a copy of its own
    assert snaps["daily.1"] < snaps["daily.0"], snaps


def test_status_names_the_source_that_failed(host):
    WEB01.check_output("systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh")
    try:
        result = host.run("systemctl start ie-rsnapshot@daily.service")
        assert result.rc != 0
    finally:
        WEB01.check_output("systemctl start ssh")
    rc, rows = status(host)
    assert rc == 0  # the web data's last good copy is still recent
    assert rows["root@bk-web01:/var/www/"]["last_result"] == "error"
    assert rows["root@bk-gs01:/home/"]["last_result"] == "ok"
    # Older than the threshold (here about a second), a last good copy is stale
    # and the check fails.
    host.check_output("sleep 2")
    rc, rows = status(host, "--stale-hours", "0.0003")
    assert rc == 1
    assert rows["root@bk-web01:/var/www/"]["state"] == "stale"


# ---- what leaves the site, and a truthful status when a source is gone


def test_no_secret_is_in_the_snapshots(host):
    found = host.check_output(
        f"find {ROOT} \\( -name shadow -o -name gshadow -o -name '*.keyring' -o -name munge.key"
        " -o -name 'ssh_host_*' -o -name 'ie-backup*' -o -name vault.yml \\) -print"
    )
    assert found == ""
    # each point holds its own tree and nothing else
    assert host.check_output(f"ls {ROOT}/daily.0/homes {ROOT}/daily.0/web").split() == [
        f"{ROOT}/daily.0/homes:",
        "student1",
        "student2",
        f"{ROOT}/daily.0/web:",
        "html",
    ]


def test_status_names_a_missing_source_and_reads_the_rest_of_the_run(host):
    WEB01.check_output("mv /var/www /var/www.away")
    try:
        # the web point's tree is gone: rrsync refuses it, the run ends with
        # an error for that source alone
        host.run("systemctl start ie-rsnapshot@daily.service")
        rc, rows = status(host)
        table = host.run("ie-backup-status").stdout
    finally:
        WEB01.check_output("mv /var/www.away /var/www")
    assert rc == 1
    web, homes = rows["root@bk-web01:/var/www/"], rows["root@bk-gs01:/home/"]
    assert (web["state"], web["last_result"]) == ("missing", "missing")
    assert "not on the source: /var/www/" in web["messages"]
    assert (homes["state"], homes["last_result"]) == ("good", "ok")  # copied in the same run
    assert homes["last_run"] == web["last_run"]
    assert "root@bk-web01:/var/www/: not on the source: /var/www/" in table
    # back on the source, the next run copies it again
    host.check_output("systemctl start ie-rsnapshot@daily.service")
    rc, rows = status(host)
    assert rc == 0
    assert rows["root@bk-web01:/var/www/"]["state"] == "good"


SECRETS = f"{ROOT}/daily.0/secrets-gs01/secrets.tar.age"


def test_secrets_leave_only_encrypted_and_an_on_site_identity_restores_them(host):
    # what the backup server holds is age's ciphertext, nothing it can read
    assert host.check_output(f"head -c 21 {SECRETS}") == "age-encryption.org/v1"
    assert host.run(f"grep -a -c '^root:' {SECRETS}").stdout.strip() == "0"
    # The admin restores with the identity kept on site (bk-web01 here), as
    # the admin guide's block "restore-secrets" says, in a directory of
    # root's there. Its scp is the one line done otherwise: the lab gives
    # bk-web01 no login on the backup server, so the archive is copied over
    # by the test; the identity is the lab's, as identity.txt.
    work = "/root/restore-drill"
    archive = host.check_output(f"base64 -w0 {SECRETS}")
    WEB01.check_output(
        f"rm -rf {work} && mkdir -m 0700 {work} && cp /root/age-identity.txt {work}/identity.txt"
    )
    try:
        for where, _kind, text in guide_steps("restore-secrets"):
            assert where is None, text  # all on the machine with the identity
            if text.startswith("scp backup01:"):
                assert text.split()[1].endswith(SECRETS.removeprefix(ROOT))
                WEB01.check_output(f"echo {archive} | base64 -d > {work}/secrets.tar.age")
                continue
            script = shlex.quote(runnable.script(f"cd {work}\n{text}\n"))
            result = WEB01.run(f"bash -c {script}")
            assert result.rc == 0, f"{text}\n{result.stderr}"
        key = "etc/ssh/ssh_host_ed25519_key"
        assert WEB01.check_output(f"sha256sum < {work}/restored/{key}") == GS01.check_output(
            f"sha256sum < /{key}"
        )
        assert WEB01.file(f"{work}/restored/etc/shadow").exists
    finally:
        WEB01.check_output(f"rm -rf {work}")


def test_status_reads_a_run_with_warnings_truly(host):
    # A file in a home that root cannot read (a write-only sysfs attribute
    # bound over it, as a broken mount would be): rsync copies the rest and
    # exits 23, and rsnapshot ends the run "completed, but with some
    # warnings". The other sources of that run were copied: they read ok,
    # and the homes read "warning", not "unfinished".
    target = "/home/student2/unreadable"
    GS01.check_output(f"touch {target} && mount --bind /sys/bus/pci/rescan {target}")
    try:
        host.check_output("systemctl start ie-rsnapshot@daily.service")  # exit 2 is a success
        rc, rows = status(host)
        last = host.check_output("tail -n 1 /var/log/rsnapshot.log")
    finally:
        GS01.check_output(f"umount {target} && rm -f {target}")
    assert last.endswith("daily: completed, but with some warnings"), last
    homes = rows["root@bk-gs01:/home/"]
    assert homes["last_result"] == "warning"
    assert any("only transferred partially" in m for m in homes["messages"]), homes
    assert rows["root@bk-web01:/var/www/"]["last_result"] == "ok"
    assert rows["root@bk-gs01:/var/backups/ie-secrets/"]["last_result"] == "ok"
    # the homes' last good copy is still recent: a warning alone is not stale
    assert rc == 0 and homes["state"] == "good"
