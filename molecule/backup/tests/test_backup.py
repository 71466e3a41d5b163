"""Off-site backups as admins see them: the backup server pulls two sources.

The tests run in file order: the key's restrictions first, then the daily level
eight times, the weekly and monthly rotations (checked against a model of
rsnapshot's rotation), the lock, a restore drill and the status check.
"""

import json
import shlex

import pytest
import testinfra

testinfra_hosts = ["podman://bk-backup01"]
ROOT = "/srv/backup/snapshots"
KEY = "/root/.ssh/ie-backup_ed25519"
SSH = f"ssh -i {KEY} -o BatchMode=yes -o ConnectTimeout=10"
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
    assert backups == [
        ["backup", "root@bk-gs01:/home/", "homes/", "exclude=*/.cache/"],
        ["backup", "root@bk-web01:/var/www/", "web/"],
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


def test_snapshots_and_key_are_root_only(host):
    assert host.file(ROOT).mode == 0o700 and host.file(ROOT).user == "root"
    key = host.file(KEY)
    assert key.mode == 0o600 and key.user == "root"


# ---- what the backup key may and may not do


@pytest.mark.parametrize("source", ["bk-gs01", "bk-web01"])
def test_key_is_restricted_on_the_sources(source):
    line = next(
        line
        for line in node(source).file("/root/.ssh/authorized_keys").content_string.splitlines()
        if line.endswith(" ie-backup@bk-backup01")
    )
    assert line.startswith(
        'from="10.213.4.31",restrict,command="/usr/bin/rrsync -ro /" ssh-ed25519 '
    )


def test_backup_key_reads_with_rsync(host):
    host.check_output(
        f"rm -rf /tmp/read && rsync -e {shlex.quote(SSH)}"
        " root@bk-web01:/var/www/html/index.html /tmp/read"
    )
    assert "ie department" in host.file("/tmp/read").content_string


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
                assert host.file(f"{path}/homes{MARKER}").content_string.strip() == str(want), path


@pytest.fixture(scope="module")
def state():
    return {"generation": 0, "daily": [], "weekly": [], "monthly": []}


def test_daily_eight_times_keeps_exactly_seven(host, state):
    for _ in range(8):
        real_run(host, "daily", state)
    assert sorted(host.check_output(f"ls {ROOT}").split()) == [f"daily.{i}" for i in range(7)]
    assert_snapshots_match(host, state)
    # The newest holds the eighth copy, the oldest the second; the first is gone.
    assert host.file(f"{ROOT}/daily.0/homes{MARKER}").content_string.strip() == "8"
    assert host.file(f"{ROOT}/daily.6/homes{MARKER}").content_string.strip() == "2"


def test_unchanged_files_are_hard_links_between_snapshots(host):
    inode = "stat -c %i {}/web/var/www/html/index.html"
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
    assert host.file(f"{ROOT}/monthly.0/homes{MARKER}").content_string.strip() == str(oldest_weekly)
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
    assert not host.file(f"{ROOT}/daily.0/homes{home}/.cache").exists

    # Lose one file and corrupt another, keeping its size and time (rsync's
    # quick check would not notice: the drill restores with --checksum).
    GS01.check_output(
        f"rm {home}/thesis.pdf && cp -p {home}/main.c /tmp/orig.c"
        f" && printf 'int main(void){{return 1;}}\\n' > {home}/main.c"
        f" && touch -r /tmp/orig.c {home}/main.c"
    )
    assert GS01.check_output(f"cd {home} && sha256sum main.c") not in before

    # The admin restores with their own access (the backup key is read-only by
    # design): here a restore key made for the drill, removed afterwards.
    host.check_output(
        "rm -f /root/.ssh/drill"
        " && ssh-keygen -q -t ed25519 -N '' -C ie-restore-drill -f /root/.ssh/drill"
    )
    pub = host.file("/root/.ssh/drill.pub").content_string.strip()
    GS01.check_output(f"echo {shlex.quote(pub)} >> /root/.ssh/authorized_keys")
    try:
        host.check_output(
            "rsync -a --checksum --numeric-ids -e 'ssh -i /root/.ssh/drill -o BatchMode=yes' "
            f"{ROOT}/daily.0/homes{home}/ root@bk-gs01:{home}/"
        )
    finally:
        GS01.check_output("sed -i '/ ie-restore-drill$/d' /root/.ssh/authorized_keys")
        host.check_output("rm -f /root/.ssh/drill /root/.ssh/drill.pub")
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
    assert set(rows) == {"root@bk-gs01:/home/", "root@bk-web01:/var/www/"}
    assert all(row["state"] == "good" and row["last_result"] == "ok" for row in rows.values())
    table = host.check_output("ie-backup-status")
    assert table.splitlines()[0].split()[:3] == ["SOURCE", "DEST", "LAST"]


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
