"""ie-backup-status: which source was last copied without error, from
rsnapshot.conf and rsnapshot's log."""

import gzip
import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

SCRIPT = Path(__file__).resolve().parents[3] / "roles/rsnapshot/files/ie_backup_status.py"
_spec = importlib.util.spec_from_file_location("ie_backup_status", SCRIPT)
status = importlib.util.module_from_spec(_spec)
sys.modules["ie_backup_status"] = status  # dataclasses look their module up
_spec.loader.exec_module(status)
sys.path.insert(0, str(SCRIPT.parent))  # its metrics module, beside it as on the host
metrics = importlib.import_module("ie_backup_metrics")

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


CMD = "/usr/bin/rsnapshot -c /etc/rsnapshot.conf"
# How rsnapshot 1.4 ends a run (log_msg, log_warn, log_err in /usr/bin/rsnapshot).
WARNINGS_END = "WARNING: {cmd} {level}: completed, but with some warnings"
ERRORS_END = "{cmd} {level}: ERROR: {cmd} {level}: completed, but with some errors"


def run(stamp, level="daily", sources=(HOMES, WEB), problems=(), end="ok", after=None):
    """The lines rsnapshot logs for one run; ``after`` maps a source to the
    lines (rsync's standard error, no stamp) that follow its copy."""
    lines = [f"[{stamp}] {CMD} {level}: started", f"[{stamp}] echo 42 > /run/rsnapshot.pid"]
    for src in sources:
        lines.append(f"[{stamp}] {RSYNC} {src} /srv/backup/snapshots/daily.0/x/")
        lines.extend((after or {}).get(src, []))
    for kind, src in problems:
        if kind == "PARTIAL":
            lines.append(
                f"[{stamp}] WARNING: Some files and/or directories in {src} only transferred "
                "partially during rsync operation"
            )
        else:
            lines.append(
                f"[{stamp}] {CMD} {level}: {kind}: /usr/bin/rsync returned 255 "
                f"while processing {src}"
            )
    if end == "ok":
        lines.append(f"[{stamp}] {CMD} {level}: completed successfully")
    elif end:
        lines.append(f"[{stamp}] " + end.format(cmd=CMD, level=level))
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
        end=ERRORS_END,
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
            problems=[("PARTIAL", HOMES)],
            end=WARNINGS_END,
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


def test_a_run_with_warnings_ends_and_its_clean_sources_succeed():
    # rsnapshot's real lines: the run is finished, not "unfinished", and the
    # source without a warning was copied.
    got = parsed(run("2026-11-21T00:00:01", problems=[("PARTIAL", WEB)], end=WARNINGS_END))
    assert got[HOMES].last_result == "ok"
    assert got[HOMES].last_success == datetime(2026, 11, 21, 0, 0, 1)
    assert got[WEB].last_result == "warning" and got[WEB].last_success is None
    assert got[WEB].last_run == datetime(2026, 11, 21, 0, 0, 1)
    assert got[WEB].messages == [
        f"Some files and/or directories in {WEB} only transferred partially during rsync operation"
    ]


MISSING_WEB = [
    'rsync: [sender] change_dir "/var/www" failed: No such file or directory (2)',
    "rsync error: some files/attrs were not transferred (see previous errors) (code 23)",
]


def test_a_source_directory_that_is_not_there_is_missing_by_name(tmp_path, capsys):
    lines = run(
        "2026-11-21T00:00:01",
        problems=[("PARTIAL", WEB)],
        end=WARNINGS_END,
        after={WEB: MISSING_WEB},
    )
    got = parsed(lines)
    assert got[WEB].last_result == "missing"
    assert "not on the source: /var/www" in got[WEB].messages
    assert got[HOMES].last_result == "ok"
    (tmp_path / "rsnapshot.conf").write_text(CONF)
    (tmp_path / "rsnapshot.log").write_text("\n".join(lines) + "\n")
    argv = ["-c", str(tmp_path / "rsnapshot.conf"), "--log", str(tmp_path / "rsnapshot.log")]
    assert status.main([*argv, "--stale-hours", "1000000"]) == 1  # missing is never good
    out = capsys.readouterr().out
    assert f"{WEB}: not on the source: /var/www" in out
    table = {line.split()[0]: line.split()[-1] for line in out.splitlines()[1:3]}
    assert table == {HOMES: "good", WEB: "missing"}


@pytest.mark.parametrize("stamp", ["", "[2026-11-21T00:00:01] "])
def test_a_tree_rrsync_does_not_find_is_missing_too(stamp):
    # the point's whole tree is gone: rrsync refuses, rsync ends with 12;
    # rsnapshot 1.5 logs rsync's standard error with a stamp, 1.4 did not
    lines = run(
        "2026-11-21T00:00:01",
        problems=[("ERROR", WEB)],
        end=ERRORS_END,
        after={WEB: [f"{stamp}/usr/bin/rrsync error: Restricted directory does not exist!"]},
    )
    got = parsed(lines)
    assert got[WEB].last_result == "missing"
    assert "not on the source: /var/www/" in got[WEB].messages
    assert got[HOMES].last_result == "ok"


def test_a_missing_source_found_again_is_good_again():
    lines = run(
        "2026-11-21T00:00:01",
        problems=[("PARTIAL", WEB)],
        end=WARNINGS_END,
        after={WEB: MISSING_WEB},
    )
    got = parsed(lines + run("2026-11-22T00:00:01"))
    assert got[WEB].last_result == "ok" and got[WEB].messages == []


def test_a_run_that_stopped_on_an_error_is_unfinished_for_what_it_began():
    lines = [
        *run("2026-11-21T00:00:01", sources=(HOMES,), end=None),
        f"[2026-11-21T00:00:09] {CMD} daily: ERROR: rsync returned error 12 in rsync_cleanup()",
    ]
    got = parsed(lines)
    assert got[HOMES].last_result == "unfinished"
    assert got[WEB].last_result == "never run"


def test_the_state_is_written_as_metrics_for_the_textfile_collector(tmp_path):
    log = tmp_path / "rsnapshot.log"
    log.write_text("\n".join(run("2026-11-21T00:00:01", problems=[("ERROR", WEB)])) + "\n")
    conf = tmp_path / "rsnapshot.conf"
    conf.write_text(CONF)
    prom = tmp_path / "backup.prom"
    argv = ["-c", str(conf), "--log", str(log), "--format", "json", "--textfile", str(prom)]
    assert status.main([*argv, "--stale-hours", "1000000"]) == 1  # web: never copied well
    got = {
        (s.name, s.labels["source"]): s.value
        for family in text_string_to_metric_families(prom.read_text())
        for s in family.samples
    }
    when = datetime(2026, 11, 21, 0, 0, 1).timestamp()
    assert got[("ie_backup_last_success_timestamp_seconds", HOMES)] == when
    assert ("ie_backup_last_success_timestamp_seconds", WEB) not in got  # never: absent
    assert got[("ie_backup_last_run_timestamp_seconds", WEB)] == when
    assert got[("ie_backup_good", HOMES)] == 1 and got[("ie_backup_good", WEB)] == 0
    assert got[("ie_backup_last_duration_seconds", HOMES)] == 0  # one stamp in the whole run
    assert status.main([*argv, "--stale-hours", "1"]) == 1
    assert "ie_backup_good{" in prom.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("backup")] == ["backup.prom"]


def test_each_sources_copy_is_timed_to_the_last_line_before_the_next_command():
    lines = [
        f"[2026-11-21T00:00:01] {CMD} daily: started",
        f"[2026-11-21T00:00:02] {RSYNC} {HOMES} /srv/backup/snapshots/daily.0/homes/",
        # rsnapshot 1.5 stamps rsync's messages; the copy goes on after one
        "[2026-11-21T00:03:00] file has vanished: /home/x",
        f"[2026-11-21T00:10:02] {RSYNC} {WEB} /srv/backup/snapshots/daily.0/web/",
        f"[2026-11-21T00:10:32] {CMD} daily: ERROR: /usr/bin/rsync returned 255 "
        f"while processing {WEB}",
        f"[2026-11-21T00:10:33] {CMD} daily: completed successfully",
    ]
    got = parsed(lines)
    assert got[HOMES].last_duration == 600  # 00:00:02 to the next rsync at 00:10:02
    assert got[WEB].last_duration == 31  # its error, then the run's end
    # a run still going (or killed) has no duration yet
    assert parsed(lines[:-1])[HOMES].last_duration is None


def test_the_sizes_count_each_hard_linked_file_once_newest_first(tmp_path):
    root = tmp_path / "snapshots"
    for snap in ("daily.0", "daily.1", "weekly.0"):
        for dest in ("homes", "web"):
            (root / snap / dest).mkdir(parents=True)
    (root / "daily.10").mkdir()  # sorted by number, not by name
    (root / "daily.x").mkdir()  # not a snapshot
    big, small = b"h" * 1_000_000, b"w" * 200_000
    (root / "daily.0/homes/a").write_bytes(big)
    (root / "daily.0/web/b").write_bytes(small)
    (root / "daily.1/homes/a").hardlink_to(root / "daily.0/homes/a")  # unchanged: no space
    (root / "daily.1/homes/old").write_bytes(big)  # deleted since: daily.1 holds it
    (root / "weekly.0/web/b").hardlink_to(root / "daily.0/web/b")
    config = status.parse_config(CONF.replace("/srv/backup/snapshots/", f"{root}/"))
    assert [p.name for p in metrics.snapshots(config)] == [
        "daily.0",
        "daily.1",
        "daily.10",
        "weekly.0",
    ]
    by_source, by_snapshot = metrics.measure_sizes(config)
    assert 1_000_000 <= by_source[HOMES] < 1_100_000 and 200_000 <= by_source[WEB] < 300_000
    assert 1_000_000 <= by_snapshot["daily.1"] < 1_100_000  # only "old"
    assert by_snapshot["weekly.0"] < 50_000  # directories only
    assert by_snapshot["daily.0"] == by_source[HOMES] + by_source[WEB]
    conf = tmp_path / "rsnapshot.conf"
    conf.write_text(CONF.replace("/srv/backup/snapshots/", f"{root}/"))
    prom = tmp_path / "sizes.prom"
    assert status.main(["-c", str(conf), "--sizes-textfile", str(prom)]) == 0
    got = {
        (s.name, s.labels.get("source") or s.labels.get("snapshot")): s.value
        for family in text_string_to_metric_families(prom.read_text())
        for s in family.samples
    }
    assert got[("ie_backup_source_bytes", HOMES)] == by_source[HOMES]
    assert got[("ie_backup_snapshot_bytes", "daily.1")] == by_snapshot["daily.1"]
    assert {name for name, _ in got} == {"ie_backup_source_bytes", "ie_backup_snapshot_bytes"}


def test_no_snapshot_yet_gives_no_sizes(tmp_path):
    config = status.parse_config(CONF.replace("/srv/backup/snapshots/", f"{tmp_path}/none/"))
    assert metrics.measure_sizes(config) == ({}, {})
