"""The ie-podman commands.

Every command resolves the caller from sudo, checks what the caller names
against the caller's own objects (name in the caller's namespace **and** the
owner label), builds Podman's argv itself and writes one audit line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shutil
import ssl
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ie_common import audit, locking, output, userio
from ie_common.errors import (
    EXIT_OK,
    IeError,
    NotFound,
    QuotaExceeded,
    Refused,
    UsageError,
)
from ie_common.identity import Caller, derived_range, from_sudo, subordinate_range
from ie_podman import __version__, config, ipam, naming, policy, recipe, verify
from ie_podman.backend import (
    IMAGE_LABEL,
    NETWORK_LABEL,
    OWNER_LABEL,
    USER_LABEL,
    Podman,
    labels_of,
)

COMMANDS_HELP = """\
usage: sudo ie-podman COMMAND [OPTIONS] ...

Rootful Podman for students: every container and image is yours alone.

commands:
  build      build an image from a Containerfile: build --tag NAME[:TAG] DIR
  cp         copy files: cp FILE NAME:PATH, or cp NAME:PATH FILE
  exec       run a process in one of your running containers
  images     list your images
  info       show one of your containers' details
  logs       show a container's log
  ps         list your containers (--all includes stopped ones)
  registry   push IMAGE to the department registry; search [IMAGE] lists it
  rm         delete one of your containers
  rmi        delete one of your images (or one of its tags)
  run        create and start a container (--ip, --gpu, --name ...)
  sif        convert one of your images to an Apptainer SIF in your home
  start      start one of your containers
  stop       stop one of your containers
  version    print the version
  admin      (root only) reclaim addresses, list leases

Every command takes --help. --format json prints JSON for scripts.

exit status: 0 done, 1 podman failed (its message is shown), 2 bad command
line, 3 refused by ie-podman's policy, 4 no such container or image of
yours, 5 a quota would be exceeded, 6 no free address on the department
network, 7 not run through sudo or ie-podman is misconfigured.
"""


class App:
    def __init__(self, caller: Caller, cfg: config.Config, podman: Podman, cwd: str) -> None:
        self.caller = caller
        self.cfg = cfg
        self.podman = podman
        self.cwd = cwd
        self.leases = ipam.LeaseStore(cfg.state_dir)
        self.out: list[str] = []

    # -- ownership ---------------------------------------------------------

    def own_container(self, name: str) -> tuple[str, dict[str, Any]]:
        """The Podman name and inspect data of the caller's container ``name``."""
        full = naming.container_name(self.caller.name, name)
        data = self.podman.container(full)
        if data is None or labels_of(data).get(OWNER_LABEL) != str(self.caller.uid):
            raise NotFound(
                f"you have no container named {name!r}", "ie-podman ps --all lists yours"
            )
        return full, data

    def own_image(self, text: str) -> tuple[str, dict[str, Any]]:
        ref = naming.image_ref(self.caller.name, text)
        data = self.podman.image(ref)
        if data is None or labels_of(data).get(OWNER_LABEL) != str(self.caller.uid):
            raise NotFound(f"you have no image named {text!r}", "ie-podman images lists yours")
        return ref, data

    def resolve_image(self, text: str, pull: str = "missing") -> tuple[str, dict[str, Any]]:
        """``(image ID, inspect data)`` of an image the caller may use: their
        own (by plain name), or a public one (no owner label). Only the ID
        ever reaches Podman's argv, never the word the caller wrote."""
        if naming.PLAIN_IMAGE_RE.fullmatch(text):
            own = naming.image_ref(self.caller.name, text)
            data = self.podman.image(own)
            if data is not None and labels_of(data).get(OWNER_LABEL) == str(self.caller.uid):
                return str(data["Id"]), data
        if not naming.REFERENCE_RE.fullmatch(text):
            raise UsageError(
                f"{text!r} is not an image name",
                "give one of your images (ie-podman images) or a public image like debian:13",
            )
        if text.startswith("localhost/") and not text.startswith(
            naming.owned_image_prefix(self.caller.name)
        ):
            raise NotFound(f"you have no image {text!r}", "ie-podman images lists yours")
        data = None if pull in ("always", "newer") else self.podman.image(text)
        if data is None and pull != "never" and not text.startswith("localhost/"):
            self.podman.run(["pull", "--quiet", "--", text], check=False)
            data = self.podman.image(text)
        if data is None or not isinstance(data.get("Id"), str):
            raise NotFound(f"there is no image {text!r} here", "ie-podman images lists yours")
        owner = labels_of(data).get(OWNER_LABEL)
        if owner is not None and owner != str(self.caller.uid):
            raise NotFound(f"you have no image {text!r}", "ie-podman images lists yours")
        return str(data["Id"]), data

    # -- confinement -------------------------------------------------------

    def userns_args(
        self, build: bool = False, maps: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    ) -> list[str]:
        """Container root is the caller on the host; other IDs come from the
        caller's subordinate ranges. A process escaping the container is the
        caller, never root."""
        if self.cfg.userns == "auto":
            return ["--userns=auto"]
        if self.cfg.userns != "caller":
            return []
        uid_map, gid_map = maps or self.id_maps()
        uid_opt, gid_opt = (
            ("--userns-uid-map", "--userns-gid-map") if build else ("--uidmap", "--gidmap")
        )
        return [f"{uid_opt}={m}" for m in uid_map] + [f"{gid_opt}={m}" for m in gid_map]

    def id_maps(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The ``inside:outside:count`` lines of the caller's user namespace."""
        if self.cfg.subid_base:
            uids = gids = derived_range(
                self.caller.uid, self.cfg.subid_base, self.cfg.subid_count, self.cfg.subid_min_uid
            )
        else:
            uids = subordinate_range(self.caller.name, self.caller.uid, "/etc/subuid")
            gids = subordinate_range(self.caller.name, self.caller.uid, "/etc/subgid")
        if uids is None or gids is None:
            raise Refused(
                f"{self.caller.name} has no subordinate UID/GID range on this host",
                "ask the admins (the podman role gives every student one)",
            )
        count = min(uids[1], gids[1], 65536) - 1
        return (
            (f"0:{self.caller.uid}:1", f"1:{uids[0]}:{count}"),
            (f"0:{self.caller.gid}:1", f"1:{gids[0]}:{count}"),
        )

    def owner_labels(self) -> list[str]:
        return [
            f"--label={OWNER_LABEL}={self.caller.uid}",
            f"--label={USER_LABEL}={self.caller.name}",
        ]

    @contextlib.contextmanager
    def user_lock(self, what: str = "containers") -> Iterator[None]:
        """Held across every check of the caller's limits on ``what`` and the
        change it guards, so that parallel commands of one student cannot
        pass a limit. Limits are per server: each host has its own locks."""
        with locking.flocked(Path(self.cfg.state_dir) / "users" / f"{self.caller.uid}.{what}.lock"):
            yield

    # -- addresses ---------------------------------------------------------

    def prune(self, leases: ipam.Leases) -> None:
        """Drop the leases of containers that are gone (``--rm`` ones that
        ended, ones removed by hand). Called under the lease lock, which every
        command that makes a container with a lease holds until it exists."""
        result = self.podman.run(["ps", "--all", "--format", "{{.Names}}"], check=False)
        if result.returncode != 0:
            return
        alive = set((result.stdout or b"").decode().split())
        for addr in [a for a, lease in leases.items() if lease.get("container") not in alive]:
            del leases[addr]

    def lease_for(self, leases: ipam.Leases, full: str) -> str:
        """A free address for ``full`` in ``leases`` (locked and pruned)."""
        held = sum(1 for x in leases.values() if x.get("uid") == self.caller.uid)
        quota = self.cfg.quota_for(self.caller.name).containers
        if held >= quota:
            raise QuotaExceeded(
                f"your containers already hold {held} department addresses, your limit",
                "remove a container you no longer need: ie-podman rm NAME",
            )
        start, end = self.cfg.pool_bounds()
        addr = ipam.first_free(self.cfg.subnet, start, end, set(leases))
        leases[addr] = {"container": full, "uid": self.caller.uid, "since": int(time.time())}
        return addr

    def release(self, full: str) -> list[str]:
        with self.leases.locked() as leases:
            return ipam.release(leases, full)

    # -- commands ----------------------------------------------------------

    def cmd_run(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, RUN)
        if not parsed.positionals:
            raise UsageError("run needs an IMAGE", "sudo ie-podman run [OPTIONS] IMAGE [COMMAND]")
        image_text = parsed.positionals[0]
        v = parsed.values
        policy.check_values(v, self.cfg.max_memory_mib * 2**20, self.cfg.max_cpus)
        name = str(v["name"]) if "name" in v else f"c-{secrets.token_hex(3)}"
        full = naming.container_name(self.caller.name, name)
        if v.get("gpu") and not self.cfg.gpu:
            raise Refused(
                "this host has no GPU, so --gpu cannot be granted",
                "run on a server with a GPU (the admins' guide lists them)",
            )
        image, image_data = self.resolve_image(image_text, str(v.get("pull", "missing")))
        shown = image_text
        if labels_of(image_data).get(OWNER_LABEL) == str(self.caller.uid):
            shown = ":".join(naming.parse_image_name(image_text))
        binds, held = [], []
        try:
            for spec in v.get("volume", []):  # type: ignore[union-attr]
                host, inside, mode = policy.split_volume(str(spec))
                real = userio.resolve_in_home(self.caller, host, self.cwd)
                if ":" in real or "," in real or "\n" in real:
                    raise Refused(f"-v {spec}: the path may not contain ':', ',' or a new line")
                held.append((self.hold_dir(real, mode == "rw"), inside))
                binds.append((real, inside, mode == "rw"))
            return self.run_checked(v, parsed, image, name, full, shown, binds, held)
        finally:
            for fd, _ in held:
                os.close(fd)

    def hold_dir(self, real: str, write: bool) -> int:
        """A descriptor of the caller's directory ``real``, opened by root
        without following links and checked as the caller."""
        fd = userio.open_dir_nofollow(real)
        try:
            userio.check_dir_access(self.caller, fd, real, write)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def run_checked(
        self,
        v: dict[str, object],
        parsed: policy.Parsed,
        image: str,
        name: str,
        full: str,
        shown: str,
        binds: list[tuple[str, str, bool]],
        held: list[tuple[int, str]],
    ) -> int:
        command = parsed.positionals[1:]
        want = self.expected(full, binds, v, shown)
        argv = ["create", f"--name={full}", *self.owner_labels(), f"--label={IMAGE_LABEL}={shown}"]
        maps = (want.uid_map, want.gid_map) if self.cfg.userns == "caller" else None
        argv += ["--security-opt=no-new-privileges", *self.userns_args(maps=maps)]
        argv += [f"--{flag}" for flag in ("interactive", "tty", "rm", "init") if v.get(flag)]
        argv += [f"--env={e}" for e in policy.check_env(list(v.get("env", [])))]  # type: ignore[call-overload]
        argv += [f"--label={x}" for x in policy.check_labels(list(v.get("label", [])))]  # type: ignore[call-overload]
        argv += [f"--{k}={v[k]}" for k in ("workdir", "entrypoint", "user", "hostname") if k in v]
        argv += [f"--{k}={v[k]}" for k in ("memory", "cpus") if k in v]
        argv += [f"--volume={src}:{dst}:{'rw' if rw else 'ro'}" for src, dst, rw in binds]
        if v.get("gpu"):
            argv.append(f"--device={self.cfg.gpu_device}")
        addr = None
        with self.user_lock():
            quota = self.cfg.quota_for(self.caller.name).containers
            if len(self.podman.containers_of(self.caller.uid)) >= quota:
                raise QuotaExceeded(
                    f"you already have {quota} containers, your limit",
                    "remove one you no longer need: ie-podman rm NAME",
                )
            if v.get("ip"):
                with self.leases.locked() as leases:
                    self.prune(leases)
                    addr = self.lease_for(leases, full)
                    argv += [
                        f"--network={self.cfg.network}:ip={addr}",
                        f"--label={NETWORK_LABEL}=dept",
                    ]
                    self.create_checked([*argv, "--", image, *command], want, held)
            else:
                self.create_checked([*argv, "--", image, *command], want, held)
        detail = f"container={full} ip={addr} argv={' '.join(argv)} -- {image} {' '.join(command)}"
        if v.get("detach"):
            result = self.podman.run(["start", full], check=False)
            rc = result.returncode
            if rc != 0:
                sys.stderr.write((result.stderr or b"").decode(errors="replace"))
        else:
            rc = self.podman.interactive(
                ["start", "--attach", *(["--interactive"] if v.get("interactive") else []), full]
            )
            if addr and self.podman.container(full) is None:
                self.release(full)
        self.audit("run", name, "ok" if rc == 0 else f"rc={rc}", detail)
        if rc == 0 and v.get("detach"):
            self.say(f"{name}" + (f" {addr}" if addr else ""))
        return rc

    def expected(
        self, full: str, binds: list[tuple[str, str, bool]], v: dict[str, object], shown: str
    ) -> verify.Expected:
        maps: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        if self.cfg.userns == "caller":
            maps = self.id_maps()
        return verify.Expected(
            name=full,
            owner_uid=self.caller.uid,
            owner_user=self.caller.name,
            binds=frozenset(binds),
            network=self.cfg.network if v.get("ip") else "",
            department_network=self.cfg.network,
            uid_map=maps[0],
            gid_map=maps[1],
            require_userns=self.cfg.userns in ("caller", "auto"),
            memory=policy.memory_bytes(str(v["memory"])) if "memory" in v else 0,
            nano_cpus=round(float(str(v["cpus"])) * 1e9) if "cpus" in v else 0,
            gpu_device=self.cfg.gpu_device if v.get("gpu") else "",
            labels={IMAGE_LABEL: shown},
        )

    def create_checked(
        self, argv: list[str], want: verify.Expected, held: list[tuple[int, str]]
    ) -> None:
        """``podman create``, then the created container against the policy:
        on any difference it is removed and the command refused."""
        self.podman.run(argv)
        try:
            data = self.podman.container(want.name)
            found = ["it was not created"] if data is None else verify.problems(data, want)
            if not found and held:
                found = self.mounted_as_held(want.name, held)
            if found:
                detail = "created container differs: " + "; ".join(found)
                self.audit("run", want.name, "Refused", detail)
                raise Refused(
                    "the container Podman made is not what ie-podman asked for "
                    f"({'; '.join(found)}); it was removed",
                    "tell the admins: this is a bug or a changed Podman default",
                )
        except BaseException:
            self.podman.run(["rm", "--force", "--", want.name], check=False)
            raise

    def recheck_mounts(self, full: str, data: dict[str, Any]) -> None:
        """Before a stopped container starts again, its ``-v`` directories are
        held and compared as at ``run``: the names may have been swapped since."""
        if (data.get("State") or {}).get("Running"):
            return
        binds = [m for m in data.get("Mounts") or [] if m.get("Type") == "bind"]
        held: list[tuple[int, str]] = []
        try:
            for m in binds:
                source = str(m.get("Source", ""))
                userio.check_inside_home(self.caller, source)
                held.append((self.hold_dir(source, bool(m.get("RW"))), str(m.get("Destination"))))
            found = self.mounted_as_held(full, held) if held else []
        finally:
            for fd, _ in held:
                os.close(fd)
        if found:
            self.podman.run(["stop", "--time=0", full], check=False)
            self.audit("start", full, "Refused", "; ".join(found))
            raise Refused(
                "not started: " + "; ".join(found),
                "mount directories of your home, and leave them in place while they are used",
            )

    def mounted_as_held(self, full: str, held: list[tuple[int, str]]) -> list[str]:
        """Podman mounts ``-v`` directories by name, as root, when the container
        is initialised. ``podman init`` makes the mounts without starting
        anything; each mounted directory must then be the very directory root
        holds a descriptor of (same device and inode): a name swapped for a
        link in between is caught here, before any process runs."""
        self.podman.run(["init", full])
        pid = int(((self.podman.container(full) or {}).get("State") or {}).get("Pid") or 0)
        if pid <= 0:
            return ["no process after podman init"]
        found = []
        root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for fd, inside in held:
                try:
                    mounted = userio.open_dir_nofollow(inside, root_fd=root)
                except Refused:
                    found.append(f"{inside} is not a plain directory in the container")
                    continue
                try:
                    a, b = os.fstat(fd), os.fstat(mounted)
                finally:
                    os.close(mounted)
                if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino):
                    found.append(f"{inside} is not the directory you named (it was swapped)")
        finally:
            os.close(root)
        return found

    def cmd_exec(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, EXEC, extra_refused=policy.PRIVILEGED_EXEC)
        if len(parsed.positionals) < 2:
            raise UsageError("exec needs a container NAME and a COMMAND")
        full, _ = self.own_container(parsed.positionals[0])
        v = parsed.values
        argv = ["exec"]
        for flag in ("detach", "interactive", "tty"):
            if v.get(flag):
                argv.append(f"--{flag}")
        policy.check_values({k: v[k] for k in ("workdir", "user") if k in v})
        argv += [f"--env={e}" for e in policy.check_env(list(v.get("env", [])))]  # type: ignore[call-overload]
        argv += [f"--{k}={v[k]}" for k in ("workdir", "user") if k in v]
        rc = self.podman.interactive([*argv, "--", full, *parsed.positionals[1:]])
        self.audit(
            "exec",
            parsed.positionals[0],
            f"rc={rc}",
            f"argv={' '.join([*argv, full, *parsed.positionals[1:]])}",
        )
        return rc

    def cmd_start(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, NAMES_ONLY, stop_at_first_positional=False)
        names = self.need_names(parsed, "start")
        for name in names:
            full, data = self.own_container(name)
            if labels_of(data).get(NETWORK_LABEL) == "dept":
                with self.leases.locked() as leases:
                    if not ipam.addresses_of(leases, full):
                        self.prune(leases)
                        addr = self.lease_for(leases, full)
                        connect = ["network", "connect", f"--ip={addr}", self.cfg.network, full]
                        self.podman.run(connect)
                        self.say(f"{name}: new department address {addr}")
            self.recheck_mounts(full, data)
            self.podman.run(["start", full])
            self.audit("start", name, "ok", f"container={full}")
            self.say(name)
        return EXIT_OK

    def cmd_stop(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, STOP, stop_at_first_positional=False)
        extra = []
        if "time" in parsed.values:
            extra = ["--time", _seconds(parsed.values["time"], "--time")]
        for name in self.need_names(parsed, "stop"):
            full, _ = self.own_container(name)
            self.podman.run(["stop", *extra, full])
            self.audit("stop", name, "ok")
            self.say(name)
        return EXIT_OK

    def cmd_rm(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, RM, stop_at_first_positional=False)
        for name in self.need_names(parsed, "rm"):
            full, _ = self.own_container(name)
            self.podman.run(["rm", *(["--force"] if parsed.values.get("force") else []), full])
            freed = self.release(full)
            self.audit("rm", name, "ok", f"released={','.join(freed)}")
            self.say(name)
        return EXIT_OK

    def cmd_rmi(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, NAMES_ONLY, stop_at_first_positional=False)
        if not parsed.positionals:
            raise UsageError("rmi needs at least one IMAGE[:TAG] of yours")
        refs = [self.own_image(text)[0] for text in parsed.positionals]
        for text, ref in zip(parsed.positionals, refs, strict=True):
            # Podman removes only this name when the image has others, and
            # refuses while a container uses it: no --force, so a student's
            # containers never lose their image (or address lease) this way.
            self.podman.run(["rmi", ref])
            self.audit("rmi", text, "ok")
            self.say(text)
        return EXIT_OK

    def cmd_logs(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, LOGS, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError("logs needs one container NAME")
        full, _ = self.own_container(parsed.positionals[0])
        argv = ["logs"]
        if parsed.values.get("follow"):
            argv.append("--follow")
        if "tail" in parsed.values:
            tail = str(parsed.values["tail"])
            if not tail.isdigit():
                raise UsageError("--tail takes a number of lines")
            argv += ["--tail", tail]
        return self.podman.interactive([*argv, full])

    def cmd_ps(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, PS, stop_at_first_positional=False)
        if parsed.positionals:
            raise UsageError("ps takes no arguments")
        rows = []
        leases = self.leases.snapshot()
        for c in self.podman.containers_of(self.caller.uid):
            full = (c.get("Names") or [""])[0]
            try:
                user, name = naming.split_container_name(full)
            except ValueError:
                continue
            if user != self.caller.name:
                continue
            if not parsed.values.get("all") and c.get("State") != "running":
                continue
            rows.append(
                {
                    "name": name,
                    "image": (c.get("Labels") or {}).get(IMAGE_LABEL)
                    or naming.display_image(self.caller.name, c.get("Image", "")),
                    "state": c.get("State", ""),
                    "status": c.get("Status", ""),
                    "ip": ",".join(ipam.addresses_of(leases, full)),
                    "id": c.get("Id", "")[:12],
                }
            )
        self.table(parsed, rows, ["name", "image", "state", "ip", "id"])
        return EXIT_OK

    def cmd_images(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, FORMAT_ONLY, stop_at_first_positional=False)
        if parsed.positionals:
            raise UsageError("images takes no arguments")
        prefix = naming.owned_image_prefix(self.caller.name)
        rows = []
        for img in self.podman.images_of(self.caller.uid):
            for ref in img.get("Names") or []:
                if ref.startswith(prefix):
                    rows.append(
                        {
                            "image": ref[len(prefix) :],
                            "id": img.get("Id", "")[:12],
                            "size": img.get("Size", 0),
                            "created": img.get("CreatedAt", ""),
                        }
                    )
        self.table(parsed, rows, ["image", "id", "size"])
        return EXIT_OK

    def cmd_info(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, FORMAT_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError("info needs one container NAME")
        full, data = self.own_container(parsed.positionals[0])
        state = data.get("State") or {}
        networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
        info = {
            "name": parsed.positionals[0],
            "podman_name": full,
            "id": data.get("Id", ""),
            "image": labels_of(data).get(IMAGE_LABEL)
            or naming.display_image(self.caller.name, data.get("ImageName", "")),
            "state": state.get("Status", ""),
            "started": state.get("StartedAt", ""),
            "finished": state.get("FinishedAt", ""),
            "exit_code": state.get("ExitCode"),
            "addresses": {n: v.get("IPAddress", "") for n, v in networks.items()},
            "mounts": [
                f"{m.get('Source')}:{m.get('Destination')}" for m in data.get("Mounts") or []
            ],
            "command": (data.get("Config") or {}).get("Cmd"),
            "labels": labels_of(data),
        }
        if parsed.values.get("format") == "json":
            self.say(json.dumps(info, indent=2))
        else:
            for key, value in info.items():
                self.say(f"{key + ':':<12} {value}")
        return EXIT_OK

    def cmd_build(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, BUILD)
        v = parsed.values
        if "tag" not in v or len(parsed.positionals) != 1:
            raise UsageError("build needs --tag NAME[:TAG] and one context DIR")
        ref = naming.image_ref(self.caller.name, str(v["tag"]))
        if "target" in v and not naming.CONTAINER_RE.fullmatch(str(v["target"])):
            raise UsageError(f"--target {v['target']!r} is not a stage name")
        with self.user_lock("images"):
            return self.build_locked(parsed, ref)

    def build_locked(self, parsed: policy.Parsed, ref: str) -> int:
        v = parsed.values
        quota = self.cfg.quota_for(self.caller.name).images
        mine = self.podman.images_of(self.caller.uid)
        if ref not in {r for i in mine for r in i.get("Names") or []} and len(mine) >= quota:
            raise QuotaExceeded(
                f"you already have {quota} images, your limit",
                "remove one you no longer need (ie-podman rmi), or re-use a tag",
            )
        containerfile = str(v.get("file", "Containerfile"))
        cf = PurePosixPath(containerfile)
        if cf.is_absolute() or ".." in cf.parts:
            raise Refused("--file must name a file inside the build context")
        context = parsed.positionals[0]
        with tempfile.TemporaryDirectory(prefix="ie-podman-build-") as tmp:
            os.chmod(tmp, 0o700)
            ctx = os.path.join(tmp, "context")
            os.mkdir(ctx, 0o700)
            try:
                with userio.tar_from_user(self.caller, context, ".", self.cwd) as stream:
                    capped = userio.Capped(stream, self.upload_limit(), "the build context")
                    userio.extract_safely(io.BufferedReader(capped, userio.CHUNK), ctx)
            except (tarfile.TarError, OSError) as exc:
                raise Refused(f"the build context cannot be used: {exc}") from exc
            cf_path = os.path.join(ctx, containerfile)
            if (
                not os.path.isfile(cf_path)
                and "file" not in v
                and os.path.isfile(os.path.join(ctx, "Dockerfile"))
            ):
                containerfile, cf_path = "Dockerfile", os.path.join(ctx, "Dockerfile")
            if not os.path.isfile(cf_path) or os.path.islink(cf_path):
                raise UsageError(f"no {containerfile} in {context}")
            with open(cf_path, encoding="utf-8", errors="strict") as fh:
                try:
                    text = fh.read(1_000_000)
                except UnicodeDecodeError as exc:
                    raise UsageError(f"{containerfile} is not UTF-8 text") from exc
            self.check_containerfile(text)
            cf_path = os.path.join(tmp, "Containerfile.checked")
            with open(cf_path, "w", encoding="utf-8") as fh:
                fh.write(recipe.with_owner_arg(text, recipe.parse(text)))
            argv = ["build", f"--tag={ref}", *self.owner_labels(), *self.userns_args(build=True)]
            argv += [f"--file={cf_path}", "--security-opt=no-new-privileges"]
            argv.append(f"--build-arg={recipe.INJECTED_ARG}={self.caller.uid}")
            argv += [f"--build-arg={a}" for a in policy.check_env(list(v.get("build_arg", [])))]  # type: ignore[call-overload]
            argv += [f"--label={x}" for x in policy.check_labels(list(v.get("label", [])))]  # type: ignore[call-overload]
            if "target" in v:
                argv.append(f"--target={v['target']}")
            argv += [f"--{f.replace('_', '-')}" for f in ("no_cache", "quiet") if v.get(f)]
            rc = self.podman.interactive([*argv, "--", ctx])
        self.audit("build", str(v["tag"]), f"rc={rc}", f"argv={' '.join(argv)}")
        return rc

    def check_containerfile(self, text: str) -> None:
        """Refuse base images of other users and build steps that reach the
        host or a shared cache, in every way a builder may read ``text``."""
        for instructions in recipe.readings(text):
            stages: set[str] = set()
            for ins in instructions:
                self.check_instruction(ins, stages)

    def check_instruction(self, ins: recipe.Instruction, stages: set[str]) -> None:
        if ins.cmd == "ONBUILD":
            inner = recipe.split_instruction(ins.rest, ins.start_line, ins.end_line)
            return self.check_instruction(inner, set(stages))
        if ins.cmd == "FROM":
            words = ins.rest.split()
            if not words:
                raise UsageError(f"line {ins.start_line}: FROM names no image")
            if words[0].lower() not in stages and words[0].lower() != "scratch":
                self.resolve_image(words[0], "never")
            if len(words) >= 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
            stages.add(str(len(stages)))
        for src in recipe.flag_values(ins.flags, "from"):
            if src.lower() not in stages:
                self.resolve_image(src, "never")
        for spec in recipe.flag_values(ins.flags, "mount"):
            opts = recipe.mount_options(spec)
            kind = opts.get("type", "bind").lower()
            if kind not in ("bind", "tmpfs"):
                raise Refused(
                    f"line {ins.start_line}: RUN --mount type={kind} is not allowed",
                    "caches, secrets and SSH agents would be shared with other users",
                )
            src = opts.get("from")
            if src and src.lower() not in stages:
                self.resolve_image(src, "never")
        for network in recipe.flag_values(ins.flags, "network"):
            if network.lower() not in ("default", "none"):
                raise Refused(f"line {ins.start_line}: RUN --network={network} is not allowed")
        if recipe.flag_values(ins.flags, "security"):
            raise Refused(f"line {ins.start_line}: RUN --security is not allowed")
        return None

    def cmd_cp(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, FORMAT_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 2:
            raise UsageError("cp needs SRC and DEST; one of them NAME:PATH")
        src, dest = parsed.positionals
        src_ctr, dest_ctr = _container_part(src), _container_part(dest)
        if (src_ctr is None) == (dest_ctr is None):
            raise UsageError("cp copies between your files and a container: one side is NAME:PATH")
        if dest_ctr is not None:
            name, inside = dest_ctr
            full, _ = self.own_container(name)
            if not inside.startswith("/"):
                raise UsageError("the path in the container must be absolute")
            if inside.endswith("/") or self.is_dir_in(full, inside):
                target_dir, arcname = inside, os.path.basename(os.path.normpath(src))
            else:
                target_dir, arcname = os.path.dirname(inside) or "/", os.path.basename(inside)
            with userio.tar_from_user(self.caller, src, arcname, self.cwd) as stream:
                capped = userio.Capped(stream, self.upload_limit(), f"{src}")
                self.podman.stream_in(
                    ["cp", "-", f"{full}:{target_dir}"], io.BufferedReader(capped, userio.CHUNK)
                )
            self.audit("cp", name, "ok", f"container={full} in {inside}")
        else:
            assert src_ctr is not None
            name, inside = src_ctr
            full, _ = self.own_container(name)
            local = os.path.join(self.cwd, dest)

            def write(pipe: BinaryIO) -> None:
                if os.path.isdir(local):
                    userio.extract_safely(pipe, local)
                else:
                    base = os.path.basename(local)
                    userio.extract_safely(pipe, os.path.dirname(local) or ".", rename_to=base)

            with (
                self.podman.stream_out(["cp", f"{full}:{inside}", "-"]) as out,
                userio.piped_as_user(self.caller, write, child_reads=True) as sink,
            ):
                capped = userio.Capped(out, self.upload_limit(), f"{name}:{inside}")
                userio.copy_stream(io.BufferedReader(capped, userio.CHUNK), sink)
            self.audit("cp", name, "ok", f"container={full} out {inside}")
        return EXIT_OK

    def upload_limit(self) -> int:
        return (self.cfg.max_upload_mib or 1 << 40) * 2**20

    def is_dir_in(self, full: str, path: str) -> bool:
        """Whether ``path`` is a directory in the container: only the first
        header of Podman's tar stream is read."""
        try:
            with (
                self.podman.stream_out(["cp", f"{full}:{path}", "-"]) as out,
                tarfile.open(fileobj=out, mode="r|") as tar,
            ):
                first = tar.next()
                return bool(first and first.isdir())
        except (tarfile.TarError, IeError):
            return False

    def cmd_sif(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, SIF, stop_at_first_positional=False)
        if len(parsed.positionals) not in (1, 2):
            raise UsageError("sif needs IMAGE and optionally the OUTPUT file")
        ref, _ = self.own_image(parsed.positionals[0])
        name, tag = naming.parse_image_name(parsed.positionals[0])
        output = (
            os.path.join(self.cwd, parsed.positionals[1])
            if len(parsed.positionals) == 2
            else os.path.join(self.caller.home, f"{name}_{tag}.sif")
        )
        # The archive stays in a directory of root's until apptainer has read
        # it: the student gets the file (by its descriptor), never the directory.
        tmp = tempfile.mkdtemp(prefix="ie-podman-sif-", dir="/var/tmp")
        try:
            archive = os.path.join(tmp, "image.tar")
            self.podman.run(["save", "--format=docker-archive", f"--output={archive}", ref])
            fd = os.open(archive, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise IeError("podman save did not write a file")
                os.fchown(fd, self.caller.uid, self.caller.gid)
                os.fchmod(fd, 0o400)
            finally:
                os.close(fd)
            os.chmod(tmp, 0o711)  # noqa: S103 - root's directory: the name can be reached, not changed
            argv = [self.cfg.apptainer, "build"]
            if parsed.values.get("force"):
                argv.append("--force")
            result = userio.run_as_user(
                self.caller,
                [*argv, output, f"docker-archive:{archive}"],
                cwd=self.cwd,
                max_file_bytes=self.cfg.max_sif_mib * 2**20,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if result.returncode == -25 or b"file too large" in result.stderr.lower():  # SIGXFSZ, EFBIG
            raise Refused(
                f"the SIF would be larger than {self.cfg.max_sif_mib} MiB, this server's limit",
                "make the image smaller, or ask the admins",
            )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise UsageError(
                f"apptainer build failed: {message[-1] if message else result.returncode}",
                "--force replaces an existing SIF" if os.path.exists(output) else None,
            )
        self.audit("sif", parsed.positionals[0], "ok", output)
        self.say(output)
        return EXIT_OK

    def cmd_registry(self, args: list[str]) -> int:
        if not args or args[0] not in ("push", "search"):
            raise UsageError("registry push IMAGE[:TAG], or registry search [IMAGE]")
        if not self.cfg.registry:
            raise Refused("no department registry is configured on this host")
        parsed = policy.parse_options(args[1:], FORMAT_ONLY, stop_at_first_positional=False)
        if args[0] == "push":
            if len(parsed.positionals) != 1:
                raise UsageError("registry push needs one IMAGE[:TAG]")
            ref, _ = self.own_image(parsed.positionals[0])
            remote = f"{self.cfg.registry}/{ref.removeprefix('localhost/')}"
            self.podman.run(["push", "--authfile", self.cfg.registry_auth_file, ref, remote])
            self.audit("registry push", parsed.positionals[0], "ok", remote)
            self.say(remote)
            return EXIT_OK
        if len(parsed.positionals) > 1:
            raise UsageError("registry search takes at most one IMAGE")
        if parsed.positionals:
            repo = parsed.positionals[0]
            if not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", repo):
                raise UsageError(f"{repo!r} is not a repository name")
            data = self.registry_get(f"/v2/{repo}/tags/list")
            rows = [{"image": repo, "tag": t} for t in sorted(data.get("tags") or [])]
            self.table(parsed, rows, ["image", "tag"])
        else:
            data = self.registry_get("/v2/_catalog")
            rows = [{"image": r} for r in sorted(data.get("repositories") or [])]
            self.table(parsed, rows, ["image"])
        return EXIT_OK

    def registry_get(self, path: str) -> dict[str, Any]:
        with open(self.cfg.registry_auth_file, encoding="utf-8") as fh:
            auths = json.load(fh).get("auths", {})
        token = (auths.get(self.cfg.registry) or {}).get("auth", "")
        context = ssl.create_default_context(cafile=self.cfg.registry_ca or None)
        request = urllib.request.Request(
            f"https://{self.cfg.registry}{path}", headers={"Authorization": f"Basic {token}"}
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=20) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFound(f"the registry has no {path.split('/')[2]!r}") from exc
            raise IeError(f"the registry answered {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise IeError(f"cannot reach the registry {self.cfg.registry}: {exc}") from exc

    def cmd_admin(self, args: list[str]) -> int:
        if not self.caller.is_admin:
            raise Refused("admin commands are for root")
        if not args or args[0] not in ("reclaim", "leases"):
            raise UsageError("admin reclaim [--older-than SECONDS] [--dry-run], or admin leases")
        parsed = policy.parse_options(args[1:], ADMIN, stop_at_first_positional=False)
        if args[0] == "leases":
            rows = [
                {"address": a, "container": lease.get("container", ""), "uid": lease.get("uid")}
                for a, lease in sorted(self.leases.snapshot().items())
            ]
            self.table(parsed, rows, ["address", "container", "uid"])
            return EXIT_OK
        older = parsed.values.get("older_than", self.cfg.reclaim_after)
        older_s = int(_seconds(older, "--older-than"))
        now = time.time()
        reclaimed = []
        with self.leases.locked() as leases:
            for addr, lease in sorted(leases.items()):
                full = str(lease.get("container", ""))
                data = self.podman.container(full)
                if data is None:
                    reclaimed.append({"address": addr, "container": full, "why": "gone"})
                    continue
                state = data.get("State") or {}
                if state.get("Running"):
                    continue
                finished = _podman_time(state.get("FinishedAt")) or _podman_time(
                    data.get("Created")
                )
                if finished is None or now - finished < older_s:
                    continue
                reclaimed.append({"address": addr, "container": full, "why": "stopped"})
            if not parsed.values.get("dry_run"):
                for row in reclaimed:
                    if row["why"] == "stopped":
                        self.podman.run(
                            ["network", "disconnect", self.cfg.network, row["container"]],
                            check=False,
                        )
                    del leases[row["address"]]
        for row in reclaimed:
            outcome = "dry-run" if parsed.values.get("dry_run") else "ok"
            self.audit("admin reclaim", row["container"], outcome, row["address"])
        self.table(parsed, reclaimed, ["address", "container", "why"])
        return EXIT_OK

    # -- helpers -----------------------------------------------------------

    def need_names(self, parsed: policy.Parsed, command: str) -> list[str]:
        if not parsed.positionals:
            raise UsageError(f"{command} needs at least one container NAME")
        return parsed.positionals

    def table(self, parsed: policy.Parsed, rows: list[dict[str, Any]], columns: list[str]) -> None:
        fmt = parsed.values.get("format")
        if fmt not in (None, "table", "json"):
            raise UsageError("--format takes json or table")
        self.say(output.render(rows, columns, str(fmt or "table")))

    def say(self, line: str) -> None:
        print(line, flush=True)

    def audit(self, command: str, target: str, outcome: str, detail: str = "") -> None:
        audit.record(self.cfg.audit_log, self.caller, command, target, outcome, detail, "ie-podman")


def _container_part(text: str) -> tuple[str, str] | None:
    name, sep, path = text.partition(":")
    if sep and naming.CONTAINER_RE.fullmatch(name) and "/" not in name:
        return name, path
    return None


class _Stop(Exception):
    def __init__(self, found: bool) -> None:
        self.found = found


def _seconds(value: object, option: str) -> str:
    text = str(value)
    if not text.isdigit():
        raise UsageError(f"{option} takes a whole number of seconds")
    return text


def _podman_time(text: Any) -> float | None:
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?", text)
    if not match:
        return None
    stamp = match.group(1) + ("+00:00" if match.group(2) in (None, "Z") else match.group(2))
    return datetime.fromisoformat(stamp).astimezone(UTC).timestamp()


def _opt(
    names: tuple[str, ...], dest: str, value: bool = False, metavar: str = "VALUE", help: str = ""
) -> policy.Option:
    return policy.Option(names, dest, value, help=help, metavar=metavar)


HELP = _opt(("--help",), "help", help="show this help")
FORMAT = _opt(("--format",), "format", True, "json|table", "json for scripts")
RUN = (*policy.RUN_OPTIONS, HELP)
EXEC = (*policy.EXEC_OPTIONS, HELP)
BUILD = (*policy.BUILD_OPTIONS, HELP)
NAMES_ONLY = (HELP,)
FORMAT_ONLY = (FORMAT, HELP)
STOP = (_opt(("--time", "-t"), "time", True, "SECONDS", "seconds to wait before killing"), HELP)
RM = (_opt(("--force", "-f"), "force", help="stop it first if it runs"), HELP)
LOGS = (
    _opt(("--follow", "-f"), "follow", help="keep following the log"),
    _opt(("--tail",), "tail", True, "N", "only the last N lines"),
    HELP,
)
PS = (_opt(("--all", "-a"), "all", help="include stopped containers"), FORMAT, HELP)
SIF = (_opt(("--force", "-F"), "force", help="replace an existing SIF file"), HELP)
ADMIN = (
    _opt(("--older-than",), "older_than", True, "SECONDS", "stopped for longer than this"),
    _opt(("--dry-run",), "dry_run", help="only say what would be reclaimed"),
    FORMAT,
    HELP,
)

COMMANDS: dict[str, tuple[Callable[[App, list[str]], int], tuple[policy.Option, ...], str]] = {
    "build": (App.cmd_build, BUILD, "build --tag NAME[:TAG] [OPTIONS] DIR"),
    "cp": (App.cmd_cp, NAMES_ONLY, "cp FILE NAME:PATH | cp NAME:PATH FILE"),
    "exec": (App.cmd_exec, EXEC, "exec [OPTIONS] NAME COMMAND [ARG ...]"),
    "images": (App.cmd_images, FORMAT_ONLY, "images [--format json]"),
    "info": (App.cmd_info, FORMAT_ONLY, "info NAME [--format json]"),
    "logs": (App.cmd_logs, LOGS, "logs [--follow] [--tail N] NAME"),
    "ps": (App.cmd_ps, PS, "ps [--all] [--format json]"),
    "registry": (App.cmd_registry, FORMAT_ONLY, "registry push IMAGE[:TAG] | search [IMAGE]"),
    "rm": (App.cmd_rm, RM, "rm [--force] NAME [NAME ...]"),
    "rmi": (App.cmd_rmi, NAMES_ONLY, "rmi IMAGE[:TAG] [IMAGE[:TAG] ...]"),
    "run": (App.cmd_run, RUN, "run [OPTIONS] IMAGE [COMMAND [ARG ...]]"),
    "sif": (App.cmd_sif, SIF, "sif [--force] IMAGE [OUTPUT.sif]"),
    "start": (App.cmd_start, NAMES_ONLY, "start NAME [NAME ...]"),
    "stop": (App.cmd_stop, STOP, "stop [--time SECONDS] NAME [NAME ...]"),
    "admin": (App.cmd_admin, ADMIN, "admin reclaim [--older-than SECONDS] [--dry-run] | leases"),
}


def wants_help(args: list[str]) -> bool:
    for arg in args:
        if arg == "--help":
            return True
        if not arg.startswith("-"):
            return False
    return False


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    if not args or args[0] in ("--help", "help"):
        print(COMMANDS_HELP, end="")
        return EXIT_OK if args else 2
    command, rest = args[0], args[1:]
    if command in ("version", "--version"):
        print(f"ie-podman {__version__}")
        return EXIT_OK
    if command not in COMMANDS:
        print(f"ie-podman: error: unknown command {command!r}; see --help", file=sys.stderr)
        return 2
    handler, options, usage = COMMANDS[command]
    if wants_help(rest if command not in ("registry", "admin") else rest[1:]):
        print(f"usage: sudo ie-podman {usage}\n\n{policy.option_help(options)}")
        return EXIT_OK
    app = None
    try:
        cfg = config.load(config.DEFAULT_PATH)
        caller = from_sudo(env, cfg.min_uid)
        app = App(caller, cfg, Podman(cfg.podman), os.getcwd())
        return handler(app, rest)
    except IeError as exc:
        if app is not None:
            app.audit(command, " ".join(rest)[:200], type(exc).__name__, exc.message)
        print(f"ie-podman: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"ie-podman: hint: {exc.hint}", file=sys.stderr)
        return exc.exit_status
