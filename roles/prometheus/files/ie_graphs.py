#!/usr/bin/python3
"""ie-graphs: the admins' page of the cluster's main graphs (issue 29).

Every 5 minutes (a timer on the monitoring host) it asks this Prometheus
for the last 24 hours of each panel of ie_common.graphs (the web
console's admin overview draws the same) and writes one HTML page with
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
import sys
from datetime import UTC, datetime, timedelta

from ie_usage_report import connect, prometheus_arguments, write

from ie_common.graphs import PANELS, chart, text  # installed beside this file


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
