#!/usr/bin/python3
"""ie-graphs: the admins' page of the cluster's main graphs (issue 29).

Every 5 minutes (a timer on the monitoring host) it asks this Prometheus
for the last 24 hours of each panel below and writes one HTML page with
the graphs drawn as inline SVG: no JavaScript, nothing to build. The page
goes into Prometheus's console templates folder, so Prometheus itself
serves it at https://HOST:9090/consoles/ie-cluster.html, behind its TLS and
its login like the rest of its UI. The file is readable by root and the
prometheus group only (it shows each student's usage), and replaced at once.

Prometheus reads a console page as a Go template, where "{{" opens an
action: every value from the metrics is written with its braces as
entities, and the page's own style has no "{{". Exit status: 0
written, 2 Prometheus could not be asked (the page then says so).
"""

from __future__ import annotations

import argparse
import grp
import html
import sys
from datetime import UTC, datetime, timedelta

from ie_usage_report import connect, prometheus_arguments, write  # beside this file

# (section, title, PromQL, unit): unit "ratio" is drawn as percent.
PANELS = (
    ("Cluster", "Hosts up", 'sum(up{job="node"})', ""),
    ("Cluster", "CPU busy by host",
     '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "ratio"),
    ("Cluster", "Memory used by host",
     "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "ratio"),
    ("Ceph", "Health (0 OK, 1 WARN, 2 ERR)", "ceph_health_status", ""),
    ("Ceph", "OSDs up and in", "sum(ceph_osd_up) or vector(0)", ""),
    ("Ceph", "Raw space used", "ceph_cluster_total_used_bytes / ceph_cluster_total_bytes", "ratio"),
    ("Slurm", "Jobs by state", "sum by (state) (ie_slurm_jobs)", ""),
    ("Slurm", "Nodes by state", "sum by (state) (ie_slurm_nodes)", ""),
    ("Slurm", "Pending jobs by reason", "sum by (reason) (ie_slurm_jobs_pending)", ""),
    ("Backups", "Hours since each source's last good copy",
     "(time() - ie_backup_last_success_timestamp_seconds) / 3600", "h"),
    ("Backups", "Copy time of each source (last run)", "ie_backup_last_duration_seconds", "s"),
    ("Students", "Running containers", "sum by (user) (ie_student_containers)", ""),
    ("Students", "Running jobs", 'sum by (user) (ie_student_jobs{state="running"})', ""),
    ("Students", "GPUs held by jobs", "sum by (user) (ie_student_job_gpus)", ""),
    ("Students", "Home size (GiB)", "max by (user) (ie_student_home_bytes) / 2^30", ""),
    ("GPUs", "Utilisation", "ie_gpu_utilization_ratio", "ratio"),
)  # fmt: skip
COLORS = ("#4878a8", "#d08030", "#58a058", "#c04848", "#8060b0", "#907050", "#d070b0", "#707070")
WIDTH, HEIGHT, PAD = 520, 170, 44


def text(value: object) -> str:
    """HTML text with no brace left for Go's template parser."""
    return html.escape(str(value)).replace("{", "&#123;").replace("}", "&#125;")


def label(metric: dict) -> str:
    shown = {k: v for k, v in metric.items() if k != "__name__"}
    return ", ".join(str(v) for _k, v in sorted(shown.items())) or "value"


def shown(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    return f"{value:.3g}{unit}"


def chart(series: list[dict], start: float, end: float, unit: str) -> str:
    """One panel's series as an SVG line chart, from 0 (or the lowest value)
    to the highest, with the time along the bottom."""
    points = [
        [(float(t), float(v)) for t, v in s["values"] if v not in ("NaN", "+Inf", "-Inf")]
        for s in series
    ]
    values = [v for line in points for _t, v in line]
    if not values:
        return '<p class="none">no data</p>'
    low, high = min([0.0, *values]), max(values)
    high = high if high > low else low + 1

    def x(t: float) -> float:
        return PAD + (WIDTH - PAD - 8) * (t - start) / max(end - start, 1)

    def y(v: float) -> float:
        return HEIGHT - 20 - (HEIGHT - 30) * (v - low) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="10">',
        f'<line x1="{PAD}" y1="{y(low):.1f}" x2="{WIDTH - 8}" y2="{y(low):.1f}" stroke="#999"/>',
        f'<text x="{PAD - 4}" y="{y(high) + 4:.1f}" text-anchor="end">'
        f"{text(shown(high, unit))}</text>",
        f'<text x="{PAD - 4}" y="{y(low):.1f}" text-anchor="end">{text(shown(low, unit))}</text>',
    ]
    for hours in range(0, 25, 6):
        t = end - (24 - hours) * 3600
        if t >= start:
            stamp = datetime.fromtimestamp(t).strftime("%H:%M")
            parts.append(
                f'<text x="{x(t):.1f}" y="{HEIGHT - 6}" text-anchor="middle">{stamp}</text>'
            )
    for i, line in enumerate(points):
        if line:
            path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in line)
            color = COLORS[i % len(COLORS)]
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span style="color:{COLORS[i % len(COLORS)]}">&#9632;</span> '
        f"{text(label(s['metric']))}</li>"
        for i, s in enumerate(series)
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


def page(ask, end: datetime, hours: int = 24, step: int = 300) -> tuple[str, bool]:
    """The whole page, and whether every panel could be asked."""
    start = end - timedelta(hours=hours)
    body, section, every = [], "", True
    for part, title, expr, unit in PANELS:
        if part != section:
            body.append(f"<h2>{text(part)}</h2>")
            section = part
        try:
            drawn = chart(ask(expr, start, end, step), start.timestamp(), end.timestamp(), unit)
        except (OSError, ValueError, KeyError) as exc:
            drawn, every = f'<p class="error">cannot ask Prometheus: {text(exc)}</p>', False
        body.append(
            f'<div class="panel"><h3>{text(title)}</h3>{drawn}'
            f'<p class="expr"><code>{text(expr)}</code></p></div>'
        )
    when = end.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    style = (
        "body{font-family:sans-serif;margin:1em}.panel{display:inline-block;vertical-align:top;"
        "margin:0 1em 1em 0;width:540px}.legend{list-style:none;padding:0;font-size:11px;"
        "columns:2}.expr{font-size:10px;color:#666}.error{color:#a00}h3{margin:.2em 0}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="300">'
        f"<title>ie-cluster</title><style>{style}</style></head><body>"
        f"<h1>ie-cluster, the last {hours} hours</h1><p>Drawn {text(when)} by ie-graphs, "
        f'every 5 minutes. <a href="/graph">Prometheus</a>, <a href="/alerts">alerts</a>.</p>'
        + "\n".join(body)
        + "</body></html>\n",
        every,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ie-graphs", description=__doc__.split("\n\n")[0])
    prometheus_arguments(parser)
    parser.add_argument("--out", default="/var/lib/ie-cluster/consoles/ie-cluster.html")
    parser.add_argument("--group", default="prometheus", help="who may read it besides root")
    args = parser.parse_args(argv)
    try:
        ask = connect(args).query_range
    except OSError as exc:
        print(f"ie-graphs: cannot read the login: {exc}", file=sys.stderr)
        return 2
    drawn, every = page(ask, datetime.now(UTC))
    write(args.out, drawn, grp.getgrnam(args.group).gr_gid)
    return 0 if every else 2


if __name__ == "__main__":
    sys.exit(main())
