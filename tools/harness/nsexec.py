"""Run a command in a test container as `podman exec` does, for a fraction
of its cost.

`podman exec` costs about 100 ms of CPU on the 2-core build machine (the
podman binary, conmon and runc); every Ansible task on a Podman connection
and every testinfra command paid it, and the suite is CPU-bound. Here the
command enters the container with nsenter (2 ms) into the same places:
- every namespace of the container's PID 1, and its root and working
  directory;
- the container's cgroup in every hierarchy, where podman exec puts its
  processes (PID 1's, without systemd's init.scope);
- the container's configured environment, nothing of the caller's.

Only for privileged containers, which every test and lab container is:
there podman exec adds no capability bounds, seccomp or LSM label either.
Anything else (a container not running or not privileged, a cgroup that
cannot be joined) returns None from `command`, and the caller runs podman
exec as before.

What `podman inspect` says of a container is cached in a root-only
directory, keyed by its name and checked against its PID 1's start time,
so that a container made again under the same name is inspected again.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("IE_NSEXEC_CACHE", "/run/ie-nsexec"))
INSPECT = "{{json .State.Pid}} {{json .HostConfig.Privileged}} {{json .Config.Env}}"


@dataclass(frozen=True)
class Target:
    pid: int
    start: str
    env: dict[str, str]
    procs: tuple[tuple[str, ...], ...]  # per hierarchy: cgroup.procs to join, in order


def start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: when the process started (None: gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def cgroup_mounts(mountinfo: str) -> dict[frozenset[str], str]:
    """The cgroup hierarchies mounted whole: their controllers (a v1
    hierarchy's, as /proc/PID/cgroup names them; none for cgroup2) and where."""
    mounts: dict[frozenset[str], str] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, sfields = left.split(), right.split()
        if len(fields) < 5 or len(sfields) < 3 or fields[3] != "/":
            continue
        if sfields[0] == "cgroup2":
            mounts.setdefault(frozenset(), fields[4])
        elif sfields[0] == "cgroup":
            opts = {o for o in sfields[2].split(",") if o not in ("rw", "ro", "xattr")}
            mounts.setdefault(frozenset(opts), fields[4])
    return mounts


def procs_files(proc_cgroup: str, mounts: dict[frozenset[str], str]) -> tuple[tuple[str, ...], ...]:
    """For each hierarchy mounted here that /proc/PID/cgroup of the
    container's PID 1 lists (``proc_cgroup``), the cgroup.procs files to
    join: the container's cgroup, as podman exec; where systemd put PID 1
    in init.scope, that one next, as runc does where the first refuses
    (cgroup v2's rule of no processes beside child cgroups)."""
    files = []
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        where = mounts.get(frozenset(c for c in controllers.split(",") if c))
        if where is None:
            continue  # not mounted here: podman cannot join it either
        paths = [path[: -len("/init.scope")], path] if path.endswith("/init.scope") else [path]
        files.append(tuple(f"{where.rstrip('/')}/{p.strip('/')}/cgroup.procs" for p in paths))
    return tuple(files)


def parse_inspect(out: str) -> tuple[int, bool, dict[str, str]]:
    pid, privileged, env = out.split(" ", 2)
    return (
        int(pid),
        json.loads(privileged) is True,
        dict(item.split("=", 1) for item in json.loads(env) if "=" in item),
    )


def _cached(path: Path) -> Target | None:
    try:
        data = json.loads(path.read_text())
        target = Target(
            data["pid"], data["start"], data["env"], tuple(tuple(p) for p in data["procs"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return target if start_time(target.pid) == target.start else None


def target(name: str, podman: str = "podman") -> Target | None:
    """The running, privileged container ``name``; None if it is not one."""
    path = CACHE / f"{name}.json"
    found = _cached(path)
    if found is not None:
        return found
    done = subprocess.run(  # noqa: S603 (podman, a container name)
        [podman, "inspect", "--type", "container", "--format", INSPECT, name],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    pid, privileged, env = parse_inspect(done.stdout.strip())
    start = start_time(pid) if pid > 0 else None
    if not privileged or start is None:
        return None
    try:
        procs = procs_files(
            Path(f"/proc/{pid}/cgroup").read_text(),
            cgroup_mounts(Path("/proc/self/mountinfo").read_text()),
        )
    except (OSError, KeyError, ValueError):
        return None
    found = Target(pid, start, env, procs)
    try:
        CACHE.mkdir(mode=0o700, exist_ok=True)
        tmp = CACHE / f".{name}.{os.getpid()}"
        tmp.write_text(
            json.dumps({"pid": pid, "start": start, "env": env, "procs": [list(p) for p in procs]})
        )
        tmp.replace(path)
    except OSError:
        pass  # inspected again next time
    return found


def argv(found: Target, command: list[str]) -> list[str]:
    return ["nsenter", "-t", str(found.pid), "-a", "-r", "-w", "--", *command]


def join(found: Target) -> None:
    """In the child before nsenter: into the container's cgroups."""
    me = str(os.getpid())
    for choices in found.procs:
        for i, procs in enumerate(choices):
            try:
                with open(procs, "w") as f:
                    f.write(me)
                break
            except OSError:
                if i == len(choices) - 1:
                    raise


def run(
    name: str, command: list, stdin=subprocess.DEVNULL, podman: str = "podman"
) -> subprocess.Popen | None:
    """Start ``command`` (str or bytes words) in container ``name``, stdout
    and stderr piped, stdin as given (none: /dev/null, as podman exec
    without -i); None where podman exec must do it."""
    found = target(name, podman)
    if found is None:
        return None
    try:
        return subprocess.Popen(  # noqa: S603 (nsenter into a test container)
            argv(found, command),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=found.env,
            preexec_fn=lambda: join(found),
        )
    except (OSError, subprocess.SubprocessError):
        return None
