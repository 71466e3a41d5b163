"""ie-console-overview: the admins' read-only overview, as a snapshot.

The console holds no privilege and an admin's sudo asks for a password, so
the overview has a source of its own. Root runs this from a timer on the
console's host (``ie-console-overview.timer``, every minute). It writes one
JSON snapshot, atomically, to :data:`PATH`: owner root, group the admins'
group, mode 0640. It holds:

- every student's containers and VMs on this host, with their owners (the
  owner labels and metadata ie-podman and ie-virsh put on them);
- every job in the Slurm queue, and the Slurm nodes;
- Ceph's health, read with a key that may only read the monitors;
- when each backup source was last copied: ``ie-backup-status`` on the
  backup server, through an SSH key that may run nothing else there;
- the last 24 hours of the cluster's main graphs (the panels of
  :mod:`ie_common.graphs`, the same as ie-graphs' page): the series of
  Prometheus's range queries, asked over its TLS with a login of the
  overview's own. The page draws them (:func:`drawn`), escaping every label.
  With one sample in 10 minutes, they are asked again only when the
  snapshot's graphs are 10 minutes old (``graphs_taken``); the runs between
  keep them.

An admin's agent opens that one path (:func:`ie_console.agent.open_overview`)
and the console shows it at ``/overview`` to admins only. A student's
agent cannot open it, and the console's own account cannot read it. Each
part that fails says why in its own place; the others are still shown.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ie_common import files, graphs, naming
from ie_console.pages import squeue_jobs
from ie_podman.backend import USER_LABEL

PATH = "/var/lib/ie-console-overview/overview.json"
SETTINGS = "/etc/ie/ie-console-overview.json"
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
TIMEOUT = 60
# Shown as out of date when older than this (the timer runs every minute).
STALE_AFTER = 300
MAX_SIZE = 32 * 1024 * 1024  # what the console reads of a snapshot
PARTS = ("containers", "vms", "jobs", "nodes", "ceph", "backups", "graphs")
# The graphs: the last day, one sample every 10 minutes.
GRAPH_HOURS = 24
GRAPH_STEP = 600

Run = Callable[..., str]
# ie-backup-status exits 1 when a source is stale or never copied: a report
# all the same (2: it could not read its configuration or log).
BACKUP_STATUS_REPORTS = (0, 1)


def run(argv: list[str], reports: tuple[int, ...] = (0,)) -> str:
    """A command's output; its own error message when it exits with a
    status other than ``reports``."""
    done = subprocess.run(  # noqa: S603 - fixed argv from this module
        argv, capture_output=True, text=True, env=ENV, timeout=TIMEOUT, check=False
    )
    if done.returncode not in reports:
        raise RuntimeError((done.stderr or done.stdout).strip() or f"{argv[0]}: {done.returncode}")
    return done.stdout


def owner_and_name(full: str) -> tuple[str, str]:
    """(student, their name) of a name a wrapper made; ("", full) otherwise."""
    try:
        return naming.split_qualified(full)
    except ValueError:
        return "", full


def containers(out: str) -> list[dict]:
    """``podman ps --all --format json``: the containers a student owns."""
    rows = []
    for c in json.loads(out or "[]"):
        user = (c.get("Labels") or {}).get(USER_LABEL)
        if not user:
            continue  # not made by ie-podman
        _, name = owner_and_name((c.get("Names") or [""])[0])
        rows.append(
            {"owner": user, "name": name, "image": c.get("Image", ""), "state": c.get("State", "")}
        )
    return sorted(rows, key=lambda r: (r["owner"], r["name"]))


def vms(domains: list[tuple[str, dict, bool]]) -> list[dict]:
    """(full name, what ie_virsh.domxml.read found, running) of each domain:
    the ones in a student's namespace."""
    rows = []
    for full, info, running in domains:
        user, name = owner_and_name(full)
        if not user or info.get("owner_uid") is None:
            continue
        rows.append(
            {
                "owner": info.get("owner_user") or user,
                "name": name,
                "state": "running" if running else "shut off",
                "vcpus": info.get("vcpus", ""),
                "memory_mib": info.get("memory_mib", ""),
                "template": info.get("template", ""),
            }
        )
    return sorted(rows, key=lambda r: (r["owner"], r["name"]))


def read_domains(uri: str) -> list[tuple[str, dict, bool]]:
    from ie_virsh import backend, domxml  # python3-libvirt: on the VM hosts only

    virt = backend.Libvirt(uri)
    found = []
    for full in virt.names():
        xml = virt.xml(full)
        if xml:
            found.append((full, domxml.read(xml), virt.is_active(full)))
    return found


def nodes(out: str) -> list[dict]:
    """``scontrol show nodes --json``."""
    rows = []
    for node in (json.loads(out or "{}") or {}).get("nodes", []):
        state = node.get("state", "")
        rows.append(
            {
                "name": node.get("name", ""),
                "state": ",".join(state) if isinstance(state, list) else str(state),
                "partitions": ",".join(node.get("partitions") or []),
                "cpus": f"{node.get('alloc_cpus', 0)}/{node.get('cpus', '')}",
                "gres": node.get("gres", ""),
                "reason": node.get("reason", ""),
            }
        )
    return rows


def ceph(out: str) -> list[dict]:
    """``ceph health --format json``: the status, then each check's message."""
    health = json.loads(out or "{}") or {}
    rows = [{"severity": health.get("status", "?"), "message": ""}]
    for name, check in sorted((health.get("checks") or {}).items()):
        message = ((check or {}).get("summary") or {}).get("message", "")
        severity = (check or {}).get("severity", "")
        rows.append({"severity": severity, "message": f"{name}: {message}"})
    return rows


def backups(out: str) -> list[dict]:
    """``ie-backup-status --format json`` (on the backup server)."""
    keep = ("source", "last_success", "age", "last_result", "state")
    return [{k: r.get(k) or "" for k in keep} for r in json.loads(out or "[]")]


def panels(prometheus, end: float) -> list[dict]:
    """Each panel's series over the last GRAPH_HOURS, or why it has none;
    an error when Prometheus answered none of them."""
    start = end - GRAPH_HOURS * 3600
    rows, errors = [], []
    for panel in graphs.PANELS:
        row = {"section": panel.section, "title": panel.title, "unit": panel.unit,
               "start": start, "end": end, "series": [], "error": ""}  # fmt: skip
        try:
            row["series"] = prometheus.query_range(
                panel.expr, datetime.fromtimestamp(start), datetime.fromtimestamp(end), GRAPH_STEP
            )
        except (OSError, ValueError, KeyError) as exc:
            row["error"] = f"cannot ask Prometheus: {exc}"
            errors.append(row["error"])
        rows.append(row)
    if len(errors) == len(rows):
        raise RuntimeError(errors[0])
    return rows


def ask_prometheus(settings: dict) -> graphs.Prometheus:
    return graphs.connect(
        settings["prometheus_url"], settings.get("prometheus_user", ""),
        settings.get("prometheus_password_file", ""), settings.get("prometheus_ca", ""),
    )  # fmt: skip


def part(read: Callable[[], list[dict]]) -> dict[str, Any]:
    """One part of the snapshot: its rows, or why there are none."""
    try:
        return {"rows": read()}
    except Exception as exc:  # each part fails on its own, and says why
        return {"error": str(exc).strip()[:2000] or type(exc).__name__}


def missing(what: str) -> Callable[[], list[dict]]:
    def say() -> list[dict]:
        raise RuntimeError(f"this site has no {what} for the overview")

    return say


def fresh_graphs(previous: dict | None, taken: float) -> tuple[list, float] | None:
    """The previous snapshot's graphs and when they were asked, when that was
    less than GRAPH_STEP before ``taken`` (a part or a panel in error is
    asked again)."""
    if not isinstance(previous, dict):
        return None
    part, asked = previous.get("graphs"), previous.get("graphs_taken")
    if not isinstance(part, dict) or not isinstance(part.get("rows"), list) or "error" in part:
        return None
    if any(not isinstance(row, dict) or row.get("error") for row in part["rows"]):
        return None
    if not isinstance(asked, (int, float)) or not 0 <= taken - asked < GRAPH_STEP:
        return None
    return part["rows"], asked


def read_previous(path: str) -> dict | None:
    """The snapshot written last (root's, in root's folder), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            snapshot = json.loads(f.read(MAX_SIZE))
    except (OSError, ValueError):
        return None
    return snapshot if isinstance(snapshot, dict) else None


def collect(
    settings: dict,
    cmd: Run = run,
    domains=read_domains,
    now=time.time,
    prometheus=ask_prometheus,
    previous: dict | None = None,
) -> dict:
    """The snapshot: every part, each read on its own; the graphs kept from
    ``previous`` while they are fresh (:func:`fresh_graphs`)."""
    ceph_id = settings.get("ceph_id", "")
    ceph_argv = ["ceph", "--id", ceph_id, "--connect-timeout", "20", "health", "--format", "json"]
    ssh = [
        "ssh", "-F", "none", "-i", settings.get("backup_key", ""),
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
        "-o", f"UserKnownHostsFile={settings.get('backup_known_hosts', '')}",
        "-o", "StrictHostKeyChecking=yes",
        f"root@{settings.get('backup_server', '')}", "ie-backup-status",
    ]  # fmt: skip
    uri = settings.get("libvirt_uri", "qemu:///system")
    taken = now()
    readers: dict[str, Callable[[], list[dict]]] = {
        "containers": lambda: containers(cmd(["podman", "ps", "--all", "--format", "json"])),
        "vms": lambda: vms(domains(uri)),
        "jobs": lambda: squeue_jobs(cmd(["squeue", "--all", "--json"])),
        "nodes": lambda: nodes(cmd(["scontrol", "show", "nodes", "--json"])),
        "ceph": (lambda: ceph(cmd(ceph_argv))) if ceph_id else missing("Ceph key"),
        "backups": (lambda: backups(cmd(ssh, reports=BACKUP_STATUS_REPORTS)))
        if settings.get("backup_server")
        else missing("backup server"),
        "graphs": (lambda: panels(prometheus(settings), taken))
        if settings.get("prometheus_url")
        else missing("Prometheus"),
    }
    graphs_taken = taken
    kept = fresh_graphs(previous, taken) if settings.get("prometheus_url") else None
    if kept:
        rows, graphs_taken = kept
        readers["graphs"] = lambda: rows
    snapshot: dict[str, Any] = {"taken": taken, "host": os.uname().nodename}
    for name in PARTS:
        snapshot[name] = part(readers[name])
    snapshot["graphs_taken"] = graphs_taken
    return snapshot


def write(snapshot: dict, path: str, gid: int, uid: int = 0) -> None:
    """``path``, replaced at once: root's (``uid``), the admins' group reads it."""
    files.replace(path, json.dumps(snapshot).encode(), gid, uid=uid)


def shown(data: bytes, now: float) -> dict[str, Any]:
    """What the console shows of a snapshot an admin's agent opened."""
    snapshot = json.loads(data)
    if not isinstance(snapshot, dict):
        raise ValueError("the overview is not a JSON object")
    taken = float(snapshot.get("taken", 0))
    view: dict[str, Any] = {
        "host": str(snapshot.get("host", "")),
        "taken": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(taken)),
        "age": max(0, int(now - taken)),
        "stale": now - taken > STALE_AFTER,
    }
    for name in PARTS:
        got = snapshot.get(name) or {}
        rows = got.get("rows") if isinstance(got, dict) else None
        view[name] = {
            "rows": [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else [],
            "error": str(got.get("error", "")) if isinstance(got, dict) else "not read",
        }
    view["graphs"]["rows"] = drawn(view["graphs"]["rows"])
    return view


def drawn(rows: list[dict]) -> list[dict]:
    """The graphs part's panels as the page shows them: each one's chart as
    SVG markup (every text in it escaped by :func:`ie_common.graphs.chart`),
    or its error; ``svg`` is empty when the panel has no data."""
    shown = []
    for row in rows:
        panel = {"section": str(row.get("section", "")), "title": str(row.get("title", "")),
                 "error": str(row.get("error") or ""), "svg": ""}  # fmt: skip
        if not panel["error"]:
            try:
                series = [s for s in row.get("series") or [] if isinstance(s, dict)]
                svg = graphs.chart(
                    series, float(row["start"]), float(row["end"]), str(row.get("unit", ""))
                )
                # every text of it escaped by graphs.chart, numbers drawn as numbers
                panel["svg"] = Markup(svg) if svg != graphs.NO_DATA else ""  # noqa: S704
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                panel["error"] = f"not drawn: {exc}"
        shown.append(panel)
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ie-console-overview", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--settings", default=SETTINGS)
    parser.add_argument("--out", default=PATH)
    parser.add_argument("--print", action="store_true", help="print it, write nothing")
    args = parser.parse_args(argv)
    settings = json.loads(Path(args.settings).read_text())
    snapshot = collect(settings, previous=read_previous(args.out))
    if args.print:
        json.dump(snapshot, sys.stdout, indent=2)
        print()
        return 0
    write(snapshot, args.out, grp.getgrnam(settings["admins_group"]).gr_gid)
    failed = [name for name in PARTS if "error" in snapshot[name]]
    for name in failed:
        print(f"ie-console-overview: {name}: {snapshot[name]['error']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
