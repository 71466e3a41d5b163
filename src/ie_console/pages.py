"""The console's pages of a student's things: for each kind, how its wrapper
lists them (JSON), the columns shown, and the actions allowed on one of them.
A name from a URL reaches a wrapper only if the kind's pattern matches it in
full, and after ``--``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from ie_console.forms import IMAGE, N_, NAME

JOBID = re.compile(r"[0-9]{1,10}(?:_[0-9]{1,10})?")


def json_rows(stdout: str, user: str) -> list[dict]:
    """A wrapper's ``--format json`` list (the wrapper shows only the caller's)."""
    rows = json.loads(stdout or "[]")
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def sacct_rows(stdout: str, user: str) -> list[dict]:
    """``sacct --json``'s jobs (the last week's), only the student's."""
    rows = []
    for job in (json.loads(stdout or "{}") or {}).get("jobs", []):
        if job.get("user") != user:
            continue
        state = (job.get("state") or {}).get("current", "")
        code = (job.get("exit_code") or {}).get("return_code", {})
        rows.append(
            {
                "id": str(job.get("job_id", "")),
                "name": job.get("name", ""),
                "state": ",".join(state) if isinstance(state, list) else str(state),
                "exit": code.get("number", "") if isinstance(code, dict) else code,
                "elapsed": (job.get("time") or {}).get("elapsed", ""),
            }
        )
    return rows


def squeue_jobs(stdout: str) -> list[dict]:
    """``squeue --json``'s jobs, as the pages show them, with their users."""
    rows = []
    for job in (json.loads(stdout or "{}") or {}).get("jobs", []):
        state = job.get("job_state", "")
        limit = job.get("time_limit", {})
        rows.append(
            {
                "id": str(job.get("job_id", "")),
                "user": job.get("user_name", ""),
                "name": job.get("name", ""),
                "state": ",".join(state) if isinstance(state, list) else str(state),
                "partition": job.get("partition", ""),
                "minutes": limit.get("number", "") if isinstance(limit, dict) else limit,
                "reason": job.get("state_reason", ""),
            }
        )
    return rows


def squeue_rows(stdout: str, user: str) -> list[dict]:
    """``squeue --me --json``'s jobs: only the student's, whatever filters
    this Slurm's JSON output honours."""
    return [job for job in squeue_jobs(stdout) if job["user"] == user]


class Kind(NamedTuple):
    """A page of one kind of the student's things: how the wrapper lists
    them, the columns shown, and the actions (verb, label, the command the
    thing's name is given to, after ``--``)."""

    title: str
    listing: tuple[str, ...]
    rows: Callable[[str, str], list[dict]]
    key: str
    columns: tuple[tuple[str, str], ...]
    actions: tuple[tuple[str, str, tuple[str, ...]], ...]
    name: re.Pattern[str]
    # the page's form: its template, and what fills its list of choices
    # (a wrapper's JSON listing, and the field of each row)
    form: str = ""
    choices: tuple[tuple[str, ...], str] | None = None


KINDS = {
    "containers": Kind(
        N_("Containers"),
        ("ie-podman", "ps", "--all", "--format", "json"),
        json_rows,
        "name",
        (
            ("name", N_("Name")),
            ("image", N_("Image")),
            ("status", N_("State")),
            ("ip", N_("Address")),
        ),
        (
            ("start", N_("Start"), ("ie-podman", "start")),
            ("stop", N_("Stop"), ("ie-podman", "stop")),
            ("rm", N_("Remove"), ("ie-podman", "rm")),
        ),
        NAME,
        "form_run.html",
        (("ie-podman", "images", "--format", "json"), "image"),
    ),
    "images": Kind(
        N_("Images"),
        ("ie-podman", "images", "--format", "json"),
        json_rows,
        "image",
        (("image", N_("Image")), ("size", N_("Size")), ("created", N_("Created"))),
        (
            ("sif", N_("Download as SIF"), ("ie-podman", "sif")),  # the view sif() below
            ("push", N_("Push to the registry"), ("ie-podman", "registry", "push")),
            ("rmi", N_("Remove"), ("ie-podman", "rmi")),
        ),
        IMAGE,
        "form_images.html",
        (("ie-podman", "images", "--format", "json"), "image"),
    ),
    "registry": Kind(
        N_("Registry"),
        ("ie-podman", "registry", "search", "--format", "json"),
        json_rows,
        "image",
        (("image", N_("Yours, and shared with you")),),
        (),
        IMAGE,
        "form_pull.html",
    ),
    "vms": Kind(
        N_("Virtual machines"),
        ("ie-virsh", "list", "--all", "--format", "json"),
        json_rows,
        "name",
        (
            ("name", N_("Name")),
            ("state", N_("State")),
            ("vcpus", N_("vCPUs")),
            ("memory_mib", N_("Memory (MiB)")),
            ("disk_gib", N_("Disk (GiB)")),
            ("template", N_("Template")),
        ),
        (
            ("start", N_("Start"), ("ie-virsh", "start")),
            ("destroy", N_("Force off"), ("ie-virsh", "destroy")),
            ("undefine", N_("Delete"), ("ie-virsh", "undefine")),
        ),
        NAME,
        "form_define.html",
        (("ie-virsh", "templates", "--format", "json"), "template"),
    ),
    "jobs": Kind(
        N_("Jobs"),
        ("squeue", "--me", "--json"),
        squeue_rows,
        "id",
        (
            ("id", N_("Job ID")),
            ("name", N_("Name")),
            ("state", N_("State")),
            ("partition", N_("Partition")),
            ("minutes", N_("Time limit (min)")),
            ("reason", N_("Reason")),
        ),
        (("cancel", N_("Cancel"), ("scancel",)),),
        JOBID,
        "form_submit.html",
        (("stemplates", "--format", "json"), "name"),
    ),
    "history": Kind(
        N_("Job history"),
        ("sacct", "--allocations", "--json", "--starttime", "now-7days"),
        sacct_rows,
        "id",
        (
            ("id", N_("Job ID")),
            ("name", N_("Name")),
            ("state", N_("State")),
            ("exit", N_("Exit status")),
            ("elapsed", N_("Seconds")),
        ),
        (),
        JOBID,
    ),
}
