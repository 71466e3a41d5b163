"""The ie-podman commands.

Every command resolves the caller from sudo, checks what the caller names
against the caller's own objects (name in the caller's namespace **and** the
owner label), builds Podman's argv itself and writes one audit line.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ie_common import audit, errors, i18n, locking, output, userio
from ie_common.errors import (
    EXIT_OK,
    IeError,
    NotFound,
    QuotaExceeded,
    Refused,
    UsageError,
)
from ie_common.i18n import _
from ie_common.identity import Caller, derived_range, from_sudo, subordinate_range
from ie_podman import __version__, allowlist, config, helppage, ipam, naming, options, policy
from ie_podman.admin import AdminCommands
from ie_podman.backend import (
    NETWORK_LABEL,
    OWNER_LABEL,
    USER_LABEL,
    Podman,
    labels_of,
)
from ie_podman.build import BuildCommands
from ie_podman.completion import CompletionCommands
from ie_podman.helppage import EXIT_PASSTHROUGH_ERROR, PASSTHROUGH, top_help
from ie_podman.listing import ListingCommands
from ie_podman.registry import RegistryCommands
from ie_podman.run import RunCommands
from ie_podman.transfer import TransferCommands


class App(
    RunCommands,
    BuildCommands,
    TransferCommands,
    RegistryCommands,
    AdminCommands,
    ListingCommands,
    CompletionCommands,
):
    """One caller's command; each group of commands is a mixin of its own module."""

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
                _("you have no container named {name!r}", name=name),
                _("ie-podman ps --all lists yours"),
            )
        return full, data

    def own_image(self, text: str) -> tuple[str, dict[str, Any]]:
        ref = naming.image_ref(self.caller.name, text)
        data = self.podman.image(ref)
        if data is None or labels_of(data).get(OWNER_LABEL) != str(self.caller.uid):
            raise NotFound(
                _("you have no image named {text!r}", text=text), _("ie-podman images lists yours")
            )
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
                _("{text!r} is not an image name", text=text),
                _("give one of your images (ie-podman images) or a public image like debian:13"),
            )
        if text.startswith("localhost/") and not text.startswith(
            naming.owned_image_prefix(self.caller.name)
        ):
            raise NotFound(
                _("you have no image {text!r}", text=text), _("ie-podman images lists yours")
            )
        data = None if pull in ("always", "newer") else self.podman.image(text)
        if data is None and pull != "never" and not text.startswith("localhost/"):
            self.podman.run(["pull", "--quiet", "--", text], check=False)
            data = self.podman.image(text)
        if data is None or not isinstance(data.get("Id"), str):
            raise NotFound(
                _("there is no image {text!r} here", text=text), _("ie-podman images lists yours")
            )
        owner = labels_of(data).get(OWNER_LABEL)
        if owner is not None and owner != str(self.caller.uid):
            raise NotFound(
                _("you have no image {text!r}", text=text), _("ie-podman images lists yours")
            )
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
                _("{name} has no subordinate UID/GID range on this host", name=self.caller.name),
                _("ask the admins (the podman role gives every student one)"),
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

    def lease_for(self, leases: ipam.Leases, full: str, want: str = "") -> str:
        """A free address for ``full`` in ``leases`` (locked and pruned):
        ``want`` (``--ip ADDRESS``) or else the first free one."""
        held = sum(1 for x in leases.values() if x.get("uid") == self.caller.uid)
        quota = self.cfg.quota_for(self.caller.name).containers
        if held >= quota:
            raise QuotaExceeded(
                _(
                    "your containers already hold {held} department addresses, your limit",
                    held=held,
                ),
                _("remove a container you no longer need: ie-podman rm NAME"),
            )
        start, end = self.cfg.pool_bounds()
        if want and want != "auto":
            addr = ipam.wanted(self.cfg.subnet, start, end, set(leases), want)
        else:
            addr = ipam.first_free(self.cfg.subnet, start, end, set(leases))
        leases[addr] = {"container": full, "uid": self.caller.uid, "since": int(time.time())}
        return addr

    def release(self, full: str) -> list[str]:
        with self.leases.locked() as leases:
            return ipam.release(leases, full)

    # -- commands ----------------------------------------------------------

    def cmd_exec(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.EXEC, extra_refused=allowlist.PRIVILEGED_EXEC)
        if len(parsed.positionals) < 2:
            raise UsageError(_("exec needs a container NAME and a COMMAND"))
        full, _owned = self.own_container(parsed.positionals[0])
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
        parsed = policy.parse_options(args, options.NAMES_ONLY, stop_at_first_positional=False)
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
        parsed = policy.parse_options(args, options.STOP, stop_at_first_positional=False)
        extra = []
        if "time" in parsed.values:
            extra = ["--time", options.seconds(parsed.values["time"], "--time")]
        for name in self.need_names(parsed, "stop"):
            full, _owned = self.own_container(name)
            self.podman.run(["stop", *extra, full])
            self.audit("stop", name, "ok")
            self.say(name)
        return EXIT_OK

    def cmd_rm(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.RM, stop_at_first_positional=False)
        for name in self.need_names(parsed, "rm"):
            full, _owned = self.own_container(name)
            self.podman.run(["rm", *(["--force"] if parsed.values.get("force") else []), full])
            freed = self.release(full)
            self.audit("rm", name, "ok", f"released={','.join(freed)}")
            self.say(name)
        return EXIT_OK

    def cmd_rmi(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.NAMES_ONLY, stop_at_first_positional=False)
        if not parsed.positionals:
            raise UsageError(_("rmi needs at least one IMAGE[:TAG] of yours"))
        refs = [self.own_image(text)[0] for text in parsed.positionals]
        for text, ref in zip(parsed.positionals, refs, strict=True):
            # Podman removes only this name when the image has others, and
            # refuses while a container uses it: no --force, so a student's
            # containers never lose their image (or address lease) this way.
            self.podman.run(["rmi", ref])
            self.audit("rmi", text, "ok")
            self.say(text)
        return EXIT_OK

    def need_names(self, parsed: policy.Parsed, command: str) -> list[str]:
        if not parsed.positionals:
            raise UsageError(_("{command} needs at least one container NAME", command=command))
        return parsed.positionals

    def table(self, parsed: policy.Parsed, rows: list[dict[str, Any]], columns: list[str]) -> None:
        fmt = parsed.values.get("format")
        if fmt not in (None, "table", "json"):
            raise UsageError(_("--format takes json or table"))
        self.say(output.render(rows, columns, str(fmt or "table")))

    def say(self, line: str) -> None:
        print(line, flush=True)

    def audit(self, command: str, target: str, outcome: str, detail: str = "") -> None:
        audit.record(self.cfg.audit_log, self.caller, command, target, outcome, detail, "ie-podman")


COMMANDS: dict[str, tuple[Callable[[App, list[str]], int], tuple[allowlist.Option, ...], str]] = {
    "build": (App.cmd_build, options.BUILD, "build --tag NAME[:TAG] [OPTIONS] DIR"),
    "cp": (App.cmd_cp, options.NAMES_ONLY, "cp FILE NAME:PATH | cp NAME:PATH FILE"),
    "exec": (App.cmd_exec, options.EXEC, "exec [OPTIONS] NAME COMMAND [ARG ...]"),
    "images": (App.cmd_images, options.FORMAT_ONLY, "images [--format json]"),
    "info": (App.cmd_info, options.FORMAT_ONLY, "info NAME [--format json]"),
    "logs": (App.cmd_logs, options.LOGS, "logs [--follow] [--tail N] NAME"),
    "ps": (App.cmd_ps, options.PS, "ps [--all] [--format json]"),
    "pull": (App.cmd_pull, options.NAMES_ONLY, "pull [OWNER/]IMAGE[:TAG]"),
    "registry": (
        App.cmd_registry,
        options.FORMAT_ONLY,
        "registry push IMAGE[:TAG] | share|unshare IMAGE[:TAG] USER | search [IMAGE]",
    ),
    "rm": (App.cmd_rm, options.RM, "rm [--force] NAME [NAME ...]"),
    "rmi": (App.cmd_rmi, options.NAMES_ONLY, "rmi IMAGE[:TAG] [IMAGE[:TAG] ...]"),
    "run": (App.cmd_run, options.RUN, "run [OPTIONS] IMAGE [COMMAND [ARG ...]]"),
    "sif": (App.cmd_sif, options.SIF, "sif [--force] IMAGE [OUTPUT.sif]"),
    "start": (App.cmd_start, options.NAMES_ONLY, "start NAME [NAME ...]"),
    "stop": (App.cmd_stop, options.STOP, "stop [--time SECONDS] NAME [NAME ...]"),
    # For the bash completion (not in --help): the caller's own names.
    "__complete": (App.cmd_complete, options.NAMES_ONLY, "__complete containers|running|images"),
    "admin": (
        App.cmd_admin,
        options.ADMIN,
        "admin reclaim [--older-than SECONDS] [--dry-run] | leases",
    ),
}


def command_help(command: str, cfg: config.Config | None) -> str:
    _handler, opts, usage = COMMANDS[command]
    return helppage.command_help(command, opts, usage, cfg)


def readable_config() -> config.Config | None:
    try:
        return config.load(config.DEFAULT_PATH)
    except IeError:
        return None


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
    i18n.setup(env)
    if not args or args[0] in ("--help", "help"):
        print(top_help(readable_config()), end="")
        return EXIT_OK if args else 2
    command, rest = args[0], args[1:]
    if command in ("version", "--version"):
        print(f"ie-podman {__version__}")
        return EXIT_OK
    if command not in COMMANDS:
        unknown = UsageError(_("unknown command {command!r}", command=command))
        errors.report("ie-podman", unknown, "")
        return unknown.exit_status
    handler = COMMANDS[command][0]
    if wants_help(rest if command not in ("registry", "admin") else rest[1:]):
        print(command_help(command, readable_config()), end="")
        return EXIT_OK
    app = None
    try:
        cfg = config.load(config.DEFAULT_PATH)
        caller = from_sudo(env, cfg.min_uid)
        app = App(caller, cfg, Podman(cfg.podman), userio.current_directory())
        return handler(app, rest)
    except IeError as exc:
        if app is not None:
            app.audit(command, " ".join(rest)[:200], type(exc).__name__, exc.message)
        errors.report("ie-podman", exc, command)
        return EXIT_PASSTHROUGH_ERROR if command in PASSTHROUGH else exc.exit_status
