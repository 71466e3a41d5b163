"""The cluster's main graphs from Prometheus, drawn as inline SVG (issue 29).

Two programs draw them, with this one module: ie-graphs on the monitoring
host (the page Prometheus serves at /consoles/ie-cluster.html) and the web
console's admin overview (ie_console.overview asks, the page draws). The
prometheus role installs this file on the monitoring host as
/usr/local/lib/ie-cluster/ie_common/graphs.py, beside its programs, so it
uses the standard library only.

Everything taken from the metrics is written escaped, with its braces as
entities too (a console page of Prometheus is a Go template, where "{{"
opens an action), and numbers are drawn only when they are finite.
"""

from __future__ import annotations

import base64
import html
import json
import math
import ssl
import urllib.parse
import urllib.request
from datetime import datetime
from typing import NamedTuple


class Panel(NamedTuple):
    # The web console shows the section and title in the reader's language
    # (its ie-console.po has them; a unit test checks).
    section: str
    title: str
    expr: str
    unit: str  # "ratio" is drawn as percent; anything else follows the number


PANELS = (
    Panel("Cluster", "Hosts up", 'sum(up{job="node"})', ""),
    Panel("Cluster", "CPU busy by host",
          '1 - avg by (host) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "ratio"),
    Panel("Cluster", "Memory used by host",
          "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "ratio"),
    Panel("Ceph", "Health (0 OK, 1 WARN, 2 ERR)", "ceph_health_status", ""),
    Panel("Ceph", "OSDs up and in", "sum(ceph_osd_up) or vector(0)", ""),
    Panel("Ceph", "Raw space used",
          "ceph_cluster_total_used_bytes / ceph_cluster_total_bytes", "ratio"),
    Panel("Slurm", "Jobs by state", "sum by (state) (ie_slurm_jobs)", ""),
    Panel("Slurm", "Nodes by state", "sum by (state) (ie_slurm_nodes)", ""),
    Panel("Slurm", "Pending jobs by reason", "sum by (reason) (ie_slurm_jobs_pending)", ""),
    Panel("Backups", "Hours since each source's last good copy",
          "(time() - ie_backup_last_success_timestamp_seconds) / 3600", "h"),
    Panel("Backups", "Copy time of each source (last run)",
          "ie_backup_last_duration_seconds", "s"),
    Panel("Students", "Running containers", "sum by (user) (ie_student_containers)", ""),
    Panel("Students", "Running jobs",
          'sum by (user) (ie_student_jobs{state="running"})', ""),
    Panel("Students", "GPUs held by jobs", "sum by (user) (ie_student_job_gpus)", ""),
    Panel("Students", "Home size (GiB)", "max by (user) (ie_student_home_bytes) / 2^30", ""),
    Panel("GPUs", "Utilisation", "ie_gpu_utilization_ratio", "ratio"),
)  # fmt: skip
COLORS = ("#4878a8", "#d08030", "#58a058", "#c04848", "#8060b0", "#907050", "#d070b0", "#707070")
WIDTH, HEIGHT, PAD = 520, 170, 44
NO_DATA = '<p class="none">no data</p>'


class Prometheus:
    """Prometheus's HTTP API over TLS (its own CA) with a login."""

    def __init__(self, url: str, user: str, password: str, ca_file: str, timeout: float = 60):
        self.url = url.rstrip("/")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.tls = ssl.create_default_context(cafile=ca_file)
        self.timeout = timeout

    def ask(self, path: str, params: dict[str, str]) -> list[dict]:
        request = urllib.request.Request(  # noqa: S310 - the https URL given
            f"{self.url}{path}?{urllib.parse.urlencode(params)}", headers=self.headers
        )
        with urllib.request.urlopen(  # noqa: S310 - https, verified with the CA
            request, context=self.tls, timeout=self.timeout
        ) as answer:
            return json.load(answer)["data"]["result"]

    def query(self, expr: str, at: datetime) -> dict[str, float]:
        """One instant query: its value for each user label."""
        found = self.ask("/api/v1/query", {"query": expr, "time": f"{at.timestamp():.3f}"})
        return {r["metric"]["user"]: float(r["value"][1]) for r in found if "user" in r["metric"]}

    def query_range(self, expr: str, start: datetime, end: datetime, step: int) -> list[dict]:
        """A range query's series: [{"metric": {...}, "values": [[t, "v"], ...]}]."""
        params = {"query": expr, "start": f"{start.timestamp():.0f}",
                  "end": f"{end.timestamp():.0f}", "step": str(step)}  # fmt: skip
        return self.ask("/api/v1/query_range", params)


def connect(url: str, user: str, password_file: str, ca_file: str) -> Prometheus:
    """Prometheus with the login read from password_file (OSError if not)."""
    with open(password_file) as secret:
        password = secret.read().strip()
    return Prometheus(url, user, password, ca_file)


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


def points(values: list) -> list[tuple[float, float]]:
    """A series' samples as numbers; a sample that is not a finite number is
    left out (Prometheus's "NaN", or anything else)."""
    kept = []
    for sample in values:
        try:
            t, v = float(sample[0]), float(sample[1])
        except (TypeError, ValueError, IndexError):
            continue
        if math.isfinite(t) and math.isfinite(v):
            kept.append((t, v))
    return kept


def swatch(color: str) -> str:
    """A legend's colour as SVG (a page's inline styles may be refused)."""
    return f'<svg width="10" height="10"><rect width="10" height="10" fill="{color}"/></svg>'


def chart(series: list[dict], start: float, end: float, unit: str) -> str:
    """One panel's series as an SVG line chart, from 0 (or the lowest value)
    to the highest, with the time along the bottom, and its legend."""
    lines = [points(s.get("values") or []) for s in series]
    values = [v for line in lines for _t, v in line]
    if not values:
        return NO_DATA
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
    hours = (end - start) / 3600
    for back in range(0, int(hours) + 1, 6):
        t = end - back * 3600
        stamp = datetime.fromtimestamp(t).strftime("%H:%M")
        anchor = "end" if back == 0 else "middle"  # the newest at the right edge, not cut off
        parts.append(f'<text x="{x(t):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">{stamp}</text>')
    for i, line in enumerate(lines):
        if line:
            path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in line)
            color = COLORS[i % len(COLORS)]
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>'
            )
    parts.append("</svg>")
    legend = "".join(
        f"<li>{swatch(COLORS[i % len(COLORS)])} {text(label(s.get('metric') or {}))}</li>"
        for i, s in enumerate(series)
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'
