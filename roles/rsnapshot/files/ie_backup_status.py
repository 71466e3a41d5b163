#!/usr/bin/python3
"""ie-backup-status: when was each backup source last copied without error?

Reads the backup points from rsnapshot.conf and the runs from rsnapshot's log
(and its rotated copy), and prints one line per source:

    SOURCE                 DEST     LAST SUCCESS          AGE     LAST RUN   STATE
    root@gs01:/home/       homes/   2026-11-22 00:00:41   9h      ok         good

A source is good when its last error-free copy is younger than --stale-hours.
The last run's result is ok, warning (rsync copied part: files changed or
vanished), error, unfinished or missing (the directory is not on the source);
its messages follow the table. Exit status: 0 every source good, 1 a source
stale, never copied or missing, 2 the configuration or log could not be read.
`--format json` for scripts. `--textfile PATH` also writes the state as
Prometheus metrics for node-exporter's textfile collector (a timer runs it;
python3-prometheus-client): ie_backup_last_success_timestamp_seconds,
ie_backup_last_run_timestamp_seconds, ie_backup_good and
ie_backup_last_duration_seconds (its copy in the last run that finished)
per source. `--sizes-textfile PATH` instead measures the snapshots with du
(slow on large trees; its own timer runs it less often) and writes
ie_backup_source_bytes (each source in the newest snapshot) and
ie_backup_snapshot_bytes (what each older snapshot holds beyond the newer
ones, hard links counted once).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# rsnapshot 1.4 writes [2026-11-22T00:00:01]; 1.3 wrote [22/Nov/2026:00:00:01].
STAMP = re.compile(r"^\[(?P<stamp>[^\]]+)\]\s(?P<text>.*)$")
STAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%d/%b/%Y:%H:%M:%S")
PROBLEM = re.compile(r": (?P<kind>ERROR|WARNING): .* while processing (?P<src>\S+)")
# rsync's exit 23 and 24 are rsnapshot's warnings for one source.
PARTIAL = re.compile(
    r"^WARNING: (?P<text>Some files and/or directories in (?P<src>\S+) "
    r"(?:only transferred partially|vanished) during rsync operation)"
)
RUN_START = re.compile(r"^\S*rsnapshot (?:-\S+ \S+ )*(?P<level>\w+): started$")
# A run ends with "completed successfully", "WARNING: /usr/bin/rsnapshot
# daily: completed, but with some warnings" or "/usr/bin/rsnapshot daily:
# ERROR: /usr/bin/rsnapshot daily: completed, but with some errors"; a run
# that stopped early ends with another ERROR line.
RUN_END = re.compile(r"rsnapshot (?:-\S+ \S+ )*(?P<level>\w+): completed\b")
RUN_FATAL = re.compile(r"^\S*rsnapshot (?:-\S+ \S+ )*(?P<level>\w+): ERROR: ")
# The source's directory is not on the source host: rrsync's refusal (the
# point's whole tree), or rsync's own (a directory below it). rsnapshot 1.5
# logs rsync's standard error with a time stamp; older ones leave it to the
# caller, so a line without one is read as well.
MISSING = re.compile(
    r"rrsync error: Restricted directory does not exist"
    r'|^rsync: (?:\[\w+\] )?change_dir "(?P<path>[^"]*)" failed: No such file or directory'
)


@dataclass
class Source:
    src: str
    dest: str
    last_success: datetime | None = None
    last_run: datetime | None = None
    last_result: str = "never run"
    last_duration: float | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class Config:
    sources: list[Source] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)  # retain levels, smallest first
    snapshot_root: str = ""
    logfile: str = "/var/log/rsnapshot.log"

    @property
    def smallest_level(self) -> str:
        """The level that copies (the others rotate its snapshots)."""
        return self.levels[0] if self.levels else ""


def parse_config(text: str) -> Config:
    """The backup points, the smallest retain level and the log file.
    rsnapshot.conf separates fields with TABs."""
    config = Config()
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        key = fields[0]
        if key in ("retain", "interval") and len(fields) >= 3:
            config.levels.append(fields[1])
        elif key == "snapshot_root" and len(fields) >= 2:
            config.snapshot_root = fields[1]
        elif key == "backup" and len(fields) >= 3:
            config.sources.append(Source(src=fields[1], dest=fields[2]))
        elif key == "logfile" and len(fields) >= 2:
            config.logfile = fields[1]
    if not config.smallest_level:
        raise ValueError("no retain level in the configuration")
    return config


def parse_stamp(stamp: str) -> datetime | None:
    for fmt in STAMP_FORMATS:
        try:
            return datetime.strptime(stamp, fmt)
        except ValueError:
            continue
    return None


def apply_log(config: Config, lines: list[str]) -> None:
    """Walk the runs of the smallest level (the only one that copies) in
    order. A source succeeded in a run that completed, that copied it (its
    rsync command is logged) and that logged no ERROR or WARNING for it. A
    run cut short (killed, or still going) counts as failed for what it began.
    Each source keeps the messages of its last run, and how long its copy
    took in it: from its rsync command to the last stamped line before the
    next command (rsync's own messages and rsnapshot's verdict on it come
    in between)."""
    by_src = {s.src: s for s in config.sources}
    run_at: datetime | None = None
    copied: set[str] = set()
    problems: dict[str, str] = {}
    messages: dict[str, list[str]] = {}
    durations: dict[str, float] = {}
    current = ""
    copy_start: datetime | None = None

    def close(finished: bool) -> None:
        for src in copied | set(problems):
            source = by_src[src]
            source.last_run = run_at
            source.messages = messages.get(src, [])
            source.last_duration = durations.get(src) if finished else None
            if src in problems:
                source.last_result = problems[src]
            elif not finished:
                source.last_result = "unfinished"
            else:
                source.last_result = "ok"
                source.last_success = run_at

    def problem(src: str, kind: str, text: str) -> None:
        # missing outranks error, error outranks warning
        rank = ("warning", "error", "missing")
        if rank.index(kind) >= rank.index(problems.get(src, "warning")):
            problems[src] = kind
        messages.setdefault(src, []).append(text)

    for raw in lines:
        match = STAMP.match(raw.rstrip("\n"))
        if not match:
            missing = MISSING.search(raw.strip())
            if missing and run_at is not None and current:
                where = missing["path"] or current.split(":", 1)[-1]
                problem(current, "missing", f"not on the source: {where}")
            continue
        text = match["text"]
        stamp = parse_stamp(match["stamp"])
        if run_at is not None and current and copy_start is not None and stamp is not None:
            durations[current] = (stamp - copy_start).total_seconds()
        missing = MISSING.search(text)
        if missing and run_at is not None and current:
            where = missing["path"] or current.split(":", 1)[-1]
            problem(current, "missing", f"not on the source: {where}")
            continue
        start = RUN_START.match(text)
        if start:
            if run_at is not None:
                close(finished=False)
            is_copying = start["level"] == config.smallest_level
            run_at = stamp if is_copying else None
            copied, problems, messages, current = set(), {}, {}, ""
            durations, copy_start = {}, None
            continue
        if run_at is None:
            continue
        found = PROBLEM.search(text)
        if found and found["src"] in by_src:
            problem(found["src"], found["kind"].lower(), text.split(": ", 1)[-1])
            continue
        partial = PARTIAL.match(text)
        if partial and partial["src"] in by_src:
            problem(partial["src"], "warning", partial["text"])
            continue
        if RUN_END.search(text):
            close(finished=True)
            run_at = None
            continue
        if RUN_FATAL.match(text):
            close(finished=False)
            run_at = None
            continue
        tokens = text.split()
        if tokens and tokens[0].endswith("rsync"):
            sources = [src for src in by_src if src in tokens]
            copied.update(sources)
            current = sources[0] if sources else ""
            copy_start = stamp
    if run_at is not None:
        close(finished=False)


def read_log(path: Path) -> list[str]:
    """The rotated log first (older runs), then the current one. Debian's
    logrotate for rsnapshot compresses at once (.1.gz); without the rotated
    runs a source would read "never run" on the day after a rotation."""
    lines: list[str] = []
    rotated = path.with_name(path.name + ".1")
    compressed = path.with_name(path.name + ".1.gz")
    if compressed.exists():
        with gzip.open(compressed, "rt", errors="replace") as old:
            lines.extend(old.read().splitlines())
    elif rotated.exists():
        lines.extend(rotated.read_text(errors="replace").splitlines())
    if path.exists():
        lines.extend(path.read_text(errors="replace").splitlines())
    return lines


def human_age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    return f"{hours // 24}d{hours % 24}h" if hours >= 24 else f"{hours}h"


def report(config: Config, now: datetime, stale_hours: float) -> tuple[list[dict], bool]:
    rows, all_good = [], True
    for source in config.sources:
        age = now - source.last_success if source.last_success else None
        good = age is not None and age <= timedelta(hours=stale_hours)
        missing = source.last_result == "missing"
        all_good &= good and not missing
        rows.append(
            {
                "source": source.src,
                "dest": source.dest,
                "last_success": source.last_success.isoformat(sep=" ")
                if source.last_success
                else None,
                "age": human_age(age) if age is not None else None,
                "last_run": source.last_run.isoformat(sep=" ") if source.last_run else None,
                "last_result": source.last_result,
                "messages": source.messages,
                "state": "missing"
                if missing
                else "good"
                if good
                else ("never" if source.last_success is None else "stale"),
            }
        )
    return rows, all_good


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ie-backup-status", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-c",
        "--config",
        default="/etc/rsnapshot.conf",
        help="rsnapshot.conf (default: %(default)s)",
    )
    parser.add_argument("--log", help="rsnapshot's log (default: the configuration's logfile)")
    parser.add_argument(
        "--stale-hours",
        type=float,
        default=26,
        help="a last good copy older than this is stale (default: %(default)s)",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--textfile", help="also write the state as Prometheus metrics here")
    parser.add_argument(
        "--sizes-textfile",
        help="only measure the snapshots' sizes (du), and write them as metrics here",
    )
    args = parser.parse_args(argv)
    try:
        config = parse_config(Path(args.config).read_text())
    except (OSError, ValueError) as exc:
        print(f"ie-backup-status: cannot read {args.config}: {exc}", file=sys.stderr)
        return 2
    if args.sizes_textfile:
        from ie_backup_metrics import write_sizes  # beside this file

        write_sizes(args.sizes_textfile, config)
        return 0
    log = Path(args.log or config.logfile)
    try:
        apply_log(config, read_log(log))
    except OSError as exc:
        print(f"ie-backup-status: cannot read {log}: {exc}", file=sys.stderr)
        return 2
    rows, all_good = report(config, datetime.now(), args.stale_hours)
    if args.textfile:
        from ie_backup_metrics import write_textfile  # beside this file

        write_textfile(args.textfile, config, rows)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        header = ("SOURCE", "DEST", "LAST SUCCESS", "AGE", "LAST RUN", "STATE")
        table = [header] + [
            (
                r["source"],
                r["dest"],
                r["last_success"] or "-",
                r["age"] or "-",
                r["last_result"],
                r["state"],
            )
            for r in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        for r in rows:
            for message in r["messages"]:
                print(f"{r['source']}: {message}")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
