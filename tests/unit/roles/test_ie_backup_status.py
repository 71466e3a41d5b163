"""ie-backup-status: which source was last copied without error, from
rsnapshot.conf and rsnapshot's log."""

import gzip
import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles/rsnapshot/files/ie_backup_status.py"
_spec = importlib.util.spec_from_file_location("ie_backup_status", SCRIPT)
status = importlib.util.module_from_spec(_spec)
sys.modules["ie_backup_status"] = status  # dataclasses look their module up
_spec.loader.exec_module(status)

CONF = (
    "config_version\t1.2\n"
    "snapshot_root\t/srv/backup/snapshots/\n"
    "retain\tdaily\t7\n"
    "retain\tweekly\t4\n"
    "logfile\t/var/log/rsnapshot.log\n"
    "# backup\troot@old:/x/\told/\n"
    "backup\troot@gs01:/home/\thomes/\texclude=*/.cache/\n"
    "backup\troot@web01:/var/www/\tweb/\n"
)
HOMES, WEB = "root@gs01:/home/", "root@web01:/var/www/"
RSYNC = "/usr/bin/rsync -a --delete --numeric-ids --relative --rsh=/usr/bin/ssh\\ -i\\ k"


def run(stamp, level="daily", sources=(HOMES, WEB), problems=(), end="completed successfully"):
    """The lines rsnapshot logs for one run."""
    cmd = "/usr/bin/rsnapshot -c /etc/rsnapshot.conf"
    lines = [f"[{stamp}] {cmd} {level}: started", f"[{stamp}] echo 42 > /run/rsnapshot.pid"]
    for src in sources:
        lines.append(f"[{stamp}] {RSYNC} {src} /srv/backup/snapshots/daily.0/x/")
    for kind, src in problems:
        lines.append(
            f"[{stamp}] {cmd} {level}: {kind}: /usr/bin/rsync returned 255 while processing {src}"
        )
    if end:
        lines.append(f"[{stamp}] {cmd} {level}: {end}")
    return lines


def parsed(lines):
    config = status.parse_config(CONF)
    status.apply_log(config, lines)
    return {s.src: s for s in config.sources}


def test_config_gives_sources_smallest_level_and_log():
    config = status.parse_config(CONF)
    assert [(s.src, s.dest) for s in config.sources] == [(HOMES, "homes/"), (WEB, "web/")]
    assert config.smallest_level == "daily"
    assert config.logfile == "/var/log/rsnapshot.log"


def test_config_without_a_level_is_refused():
    with pytest.raises(ValueError, match="no retain level"):
        status.parse_config("backup\troot@gs01:/home/\thomes/\n")


def test_a_clean_run_is_a_success_for_every_source():
    got = parsed(run("2026-11-21T00:00:01"))
    assert got[HOMES].last_success == datetime(2026, 11, 21, 0, 0, 1)
    assert got[WEB].last_result == "ok"


def test_an_error_for_one_source_keeps_its_previous_success():
    lines = run("2026-11-20T00:00:01") + run(
        "2026-11-21T00:00:01",
        problems=[("ERROR", WEB)],
        end="ERROR: /usr/bin/rsnapshot daily: completed, but with some errors",
    )
    got = parsed(lines)
    assert got[WEB].last_result == "error"
    assert got[WEB].last_success == datetime(2026, 11, 20, 0, 0, 1)
    assert got[WEB].last_run == datetime(2026, 11, 21, 0, 0, 1)
    # The other source of the same run was copied.
    assert got[HOMES].last_success == datetime(2026, 11, 21, 0, 0, 1)


def test_a_warning_is_not_a_success():
    got = parsed(
        run(
            "2026-11-21T00:00:01",
            problems=[("WARNING", HOMES)],
            end="completed, but with some warnings",
        )
    )
    assert got[HOMES].last_result == "warning" and got[HOMES].last_success is None
    assert got[WEB].last_result == "ok"


def test_a_run_that_never_finished_is_not_a_success():
    got = parsed(
        run("2026-11-21T00:00:01", end=None)
        + run("2026-11-22T00:00:01", level="weekly", sources=())
    )
    assert got[HOMES].last_success is None
    assert got[HOMES].last_result == "unfinished"


def test_rotations_of_larger_levels_copy_nothing():
    got = parsed(
        run("2026-11-20T00:00:01") + run("2026-11-23T09:00:00", level="weekly", sources=())
    )
    assert got[HOMES].last_success == datetime(2026, 11, 20, 0, 0, 1)


def test_old_log_format_is_read():
    got = parsed(run("20/Nov/2026:00:00:01"))
    assert got[HOMES].last_success == datetime(2026, 11, 20, 0, 0, 1)


def test_report_marks_good_stale_and_never():
    config = status.parse_config(CONF)
    status.apply_log(config, run("2026-11-21T00:00:01", sources=(HOMES,)))
    rows, all_good = status.report(config, datetime(2026, 11, 21, 10, 0, 0), stale_hours=36)
    assert [(r["source"], r["state"], r["age"]) for r in rows] == [
        (HOMES, "good", "9h"),
        (WEB, "never", None),
    ]
    assert not all_good
    rows, _ = status.report(config, datetime(2026, 11, 23, 13, 0, 1), stale_hours=36)
    assert rows[0]["state"] == "stale" and rows[0]["age"] == "2d13h"


def test_main_reads_the_rotated_log_too_and_exits_by_state(tmp_path, capsys):
    log = tmp_path / "rsnapshot.log"
    Path(str(log) + ".1").write_text("\n".join(run("2026-11-20T00:00:01")) + "\n")
    log.write_text("\n".join(run("2026-11-21T00:00:01", problems=[("ERROR", WEB)])) + "\n")
    conf = tmp_path / "rsnapshot.conf"
    conf.write_text(CONF)
    assert (
        status.main(
            ["-c", str(conf), "--log", str(log), "--stale-hours", "1000000", "--format", "json"]
        )
        == 0
    )
    rows = {r["source"]: r for r in json.loads(capsys.readouterr().out)}
    assert (
        rows[WEB]["last_success"] == "2026-11-20 00:00:01" and rows[WEB]["last_result"] == "error"
    )
    assert status.main(["-c", str(conf), "--log", str(log), "--stale-hours", "1"]) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["SOURCE", "DEST", "LAST", "SUCCESS", "AGE", "LAST", "RUN", "STATE"]
    assert table[1].split()[0] == HOMES and table[1].split()[-1] == "stale"


def test_main_says_what_it_cannot_read(tmp_path, capsys):
    assert status.main(["-c", str(tmp_path / "missing.conf")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_compressed_rotated_log_is_read(tmp_path):
    log = tmp_path / "rsnapshot.log"
    with gzip.open(str(log) + ".1.gz", "wt") as old:
        old.write("\n".join(run("2026-10-31T00:00:01")) + "\n")
    log.write_text("")  # just rotated: nothing since
    config = status.parse_config(CONF)
    status.apply_log(config, status.read_log(log))
    assert config.sources[0].last_success == datetime(2026, 10, 31, 0, 0, 1)
