#!/usr/bin/python3
"""ie-usage-report: each student's use of the cluster over the last week,
for the teacher, from the cluster's Prometheus (issue 29).

Writes two files into --out-dir, named after the ISO week of the day
before (a Monday's report: the week that ended): usage-2026-W48.csv (one
row per student) and usage-2026-W48.svg (a bar chart of their CPU and GPU
hours). Columns:

    user, cpu_hours, gpu_hours, containers_max, vms_max, home_gib

CPU (GPU) hours are the CPUs (GPUs) held by the student's Slurm jobs times the
time they ran in the 7 days (Slurm's accounting, ie_student_cpu_seconds);
containers_max and vms_max the most that ran at one time in the week (one
sample a minute); home_gib the home's size at the end (CephFS). A student
with no use at all has no row. The files are readable by root and --group
only (the students' usage), and replaced at once.

Prometheus is asked over TLS with its own login (the prometheus role's
/etc/prometheus/web.password and tls/ca.crt). Exit status: 0 written, 2
Prometheus could not be asked.
"""

from __future__ import annotations

import argparse
import csv
import grp
import io
import os
import sys
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from ie_common import files, graphs  # installed beside this file

COLUMNS = ("user", "cpu_hours", "gpu_hours", "containers_max", "vms_max", "home_gib")
# Each column's PromQL at the report's time; {days} is the window.
QUERIES = {
    "cpu_hours": 'sum by (user) (ie_student_cpu_seconds{{window="{days}d"}}) / 3600',
    "gpu_hours": 'sum by (user) (ie_student_gpu_seconds{{window="{days}d"}}) / 3600',
    "containers_max": "max by (user) (max_over_time(ie_student_containers[{days}d]))",
    "vms_max": "max by (user) (max_over_time(ie_student_vms[{days}d]))",
    "home_gib": "max by (user) (ie_student_home_bytes) / 2^30",
}


def rows(ask, at: datetime, days: int) -> list[dict]:
    """One row per student with any use, sorted by name."""
    found = {column: ask(expr.format(days=days), at) for column, expr in QUERIES.items()}
    users = sorted(set().union(*found.values()))
    return [
        {"user": user, **{column: found[column].get(user, 0.0) for column in QUERIES}}
        for user in users
    ]


def to_csv(table: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow(
            [row["user"]]
            + [
                f"{row[c]:.2f}" if c.endswith(("hours", "gib")) else f"{row[c]:.0f}"
                for c in QUERIES
            ]
        )
    return out.getvalue()


def to_svg(table: list[dict], title: str) -> str:
    """A horizontal bar chart: each student's CPU hours and GPU hours, each
    on its own scale (the longest bar of each is the most of that kind)."""
    bar, gap, left, width = 12, 10, 160, 360
    height = 60 + len(table) * (2 * bar + gap)
    most_cpu = max([r["cpu_hours"] for r in table] + [1e-9])
    most_gpu = max([r["gpu_hours"] for r in table] + [1e-9])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14">{escape(title)}</text>',
        f'<rect x="{left}" y="30" width="10" height="10" fill="#4878a8"/>'
        f'<text x="{left + 14}" y="39">CPU hours</text>',
        f'<rect x="{left + 100}" y="30" width="10" height="10" fill="#d08030"/>'
        f'<text x="{left + 114}" y="39">GPU hours</text>',
    ]
    y = 50
    for row in table:
        cpu_w = width * row["cpu_hours"] / most_cpu
        gpu_w = width * row["gpu_hours"] / most_gpu
        parts += [
            f'<text x="{left - 6}" y="{y + bar + 4}" text-anchor="end">'
            f"{escape(row['user'])}</text>",
            f'<rect x="{left}" y="{y}" width="{cpu_w:.1f}" height="{bar}" fill="#4878a8"/>',
            f'<text x="{left + cpu_w + 4:.1f}" y="{y + bar - 2}">{row["cpu_hours"]:.1f}</text>',
            f'<rect x="{left}" y="{y + bar}" width="{gpu_w:.1f}" height="{bar}" fill="#d08030"/>',
            f'<text x="{left + gpu_w + 4:.1f}" y="{y + 2 * bar - 2}">{row["gpu_hours"]:.1f}</text>',
        ]
        y += 2 * bar + gap
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(path: str, text: str, gid: int) -> None:
    """Replace path at once with a file only root and gid read (when not
    run as root, the runner's own)."""
    files.replace(path, text.encode(), gid, uid=0 if os.geteuid() == 0 else -1)


def prometheus_arguments(parser: argparse.ArgumentParser) -> None:
    """Where Prometheus is and how to log in (ie-usage-report, ie-graphs)."""
    parser.add_argument("--url", default="https://127.0.0.1:9090")
    parser.add_argument("--user", default="admin", help="Prometheus's login (default: %(default)s)")
    parser.add_argument("--password-file", default="/etc/prometheus/web.password")
    parser.add_argument("--ca-file", default="/etc/prometheus/tls/ca.crt")


def connect(args: argparse.Namespace) -> graphs.Prometheus:
    """Prometheus with the login read from --password-file (OSError if not)."""
    return graphs.connect(args.url, args.user, args.password_file, args.ca_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ie-usage-report", description=__doc__.split("\n\n")[0])
    prometheus_arguments(parser)
    parser.add_argument("--out-dir", default="/var/lib/ie-cluster/usage-reports")
    parser.add_argument("--group", default="root", help="who may read the files besides root")
    parser.add_argument("--days", type=int, default=7, help="the window (default: %(default)s)")
    parser.add_argument("--at", help="the report's end, ISO 8601 (default: now)")
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    if at.tzinfo is None:
        at = at.astimezone()
    try:
        table = rows(connect(args).query, at, args.days)
    except (OSError, ValueError, KeyError) as exc:
        print(f"ie-usage-report: cannot ask Prometheus at {args.url}: {exc}", file=sys.stderr)
        return 2
    year, week, _ = (at - timedelta(days=1)).isocalendar()  # the week before the report's day
    name = f"usage-{year}-W{week:02d}"
    since = (at - timedelta(days=args.days)).strftime("%Y-%m-%d %H:%M")
    title = f"ie-cluster usage, {since} to {at.strftime('%Y-%m-%d %H:%M %Z')}"
    gid = grp.getgrnam(args.group).gr_gid
    write(os.path.join(args.out_dir, f"{name}.csv"), to_csv(table), gid)
    write(os.path.join(args.out_dir, f"{name}.svg"), to_svg(table, title), gid)
    print(f"{args.out_dir}/{name}.csv: {len(table)} students")
    return 0


if __name__ == "__main__":
    sys.exit(main())
