"""ie-backup-status's metrics (ie_backup_status.py imports it from the same
folder, /usr/local/lib/ie-cluster): the backups' state per source for
node-exporter's textfile collector, and the snapshots' sizes measured with
du. Written with python3-prometheus-client, each file replaced at once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

if TYPE_CHECKING:
    from ie_backup_status import Config


def write_textfile(path: str, config: Config, rows: list[dict]) -> None:
    """The report as metrics, one file replaced at once."""
    registry = CollectorRegistry()
    labels = ["source", "dest"]
    success = Gauge(
        "ie_backup_last_success_timestamp_seconds",
        "When the source was last copied without error (absent: never)",
        labels,
        registry=registry,
    )
    last_run = Gauge(
        "ie_backup_last_run_timestamp_seconds",
        "When the source was last copied, with or without error",
        labels,
        registry=registry,
    )
    good = Gauge(
        "ie_backup_good", "1 when the source's last good copy is recent enough", labels,
        registry=registry,
    )  # fmt: skip
    duration = Gauge(
        "ie_backup_last_duration_seconds",
        "How long the source's copy took in the last run that finished",
        labels,
        registry=registry,
    )
    for source, row in zip(config.sources, rows, strict=True):
        if source.last_duration is not None:
            duration.labels(source.src, source.dest).set(source.last_duration)
        if source.last_success:
            success.labels(source.src, source.dest).set(source.last_success.timestamp())
        if source.last_run:
            last_run.labels(source.src, source.dest).set(source.last_run.timestamp())
        good.labels(source.src, source.dest).set(1 if row["state"] == "good" else 0)
    write_to_textfile(path, registry)


def snapshots(config: Config) -> list[Path]:
    """The snapshots on disk, newest first: each level in the configuration's
    order (daily.0, daily.1, ..., weekly.0, ...)."""
    root = Path(config.snapshot_root)
    found = []
    for level in config.levels:
        numbered = [
            (int(p.name.split(".", 1)[1]), p)
            for p in root.glob(f"{level}.*")
            if re.fullmatch(rf"{re.escape(level)}\.\d+", p.name) and p.is_dir()
        ]
        found.extend(p for _n, p in sorted(numbered))
    return found


def measure_sizes(config: Config) -> tuple[dict[str, int], dict[str, int]]:
    """Bytes on disk of each source in the newest snapshot, and of what
    each older snapshot holds beyond those before it: one du over all of
    them in that order (du counts a hard-linked file once, where it first
    meets it)."""
    taken = snapshots(config)
    if not taken:
        return {}, {}
    newest, older = taken[0], taken[1:]
    paths = [newest / s.dest for s in config.sources] + older
    out = subprocess.run(  # noqa: S603 - argv, the configuration's own paths
        ["/usr/bin/du", "-s", "-B1", "--", *map(str, paths)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    sizes = {}
    for line in out.splitlines():
        size, _tab, path = line.partition("\t")
        sizes[path] = int(size)
    by_source = {
        s.src: sizes[str(newest / s.dest)] for s in config.sources if str(newest / s.dest) in sizes
    }
    by_snapshot = {p.name: sizes[str(p)] for p in older if str(p) in sizes}
    by_snapshot[newest.name] = sum(by_source.values())
    return by_source, by_snapshot


def write_sizes(path: str, config: Config) -> None:
    registry = CollectorRegistry()
    by_source, by_snapshot = measure_sizes(config)
    source = Gauge(
        "ie_backup_source_bytes",
        "Bytes on disk of the source in the newest snapshot",
        ["source", "dest"],
        registry=registry,
    )
    for s in config.sources:
        if s.src in by_source:
            source.labels(s.src, s.dest).set(by_source[s.src])
    snapshot = Gauge(
        "ie_backup_snapshot_bytes",
        "Bytes on disk a snapshot holds beyond the newer ones (the newest: all of it)",
        ["snapshot"],
        registry=registry,
    )
    for name, size in by_snapshot.items():
        snapshot.labels(name).set(size)
    write_to_textfile(path, registry)
