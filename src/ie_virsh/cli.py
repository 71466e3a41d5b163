"""The ie-virsh commands.

Every command resolves the caller from sudo and checks each domain it
names twice: the name is in the caller's namespace, and the owner element
in the domain's libvirt metadata is the caller's UID.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from ie_common import audit, locking, naming, output, userio
from ie_common.errors import EXIT_OK, IeError, NotFound, QuotaExceeded, Refused, UsageError
from ie_common.identity import Caller, from_sudo
from ie_virsh import __version__, backend, config, domxml

TEMPLATE_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
TEMPLATE_SUFFIX = ".qcow2"

EPILOG = """\
exit status: 0 done, 1 libvirt or qemu-img failed (its message is shown),
2 bad command line, 3 refused by ie-virsh's rules, 4 no such domain or
template of yours, 5 a limit would be exceeded, 7 not run through sudo or
ie-virsh is misconfigured.
"""


class Usage(argparse.ArgumentParser):
    """argparse that reports bad command lines as UsageError (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see {self.prog} --help")


class App:
    def __init__(self, caller: Caller, cfg: config.Config, virt: Any, cwd: str) -> None:
        self.caller = caller
        self.cfg = cfg
        self.virt = virt
        self.cwd = cwd

    # -- names and ownership ------------------------------------------------

    def full_name(self, name: str) -> str:
        if not domxml.NAME_RE.fullmatch(name) or len(name) > 40:
            raise UsageError(
                f"{name!r} is not a valid VM name",
                "use up to 40 letters, digits, '_', '.' and '-', starting with a letter or digit",
            )
        return naming.qualified(self.caller.name, name)

    def own(self, name: str) -> tuple[str, dict]:
        full = self.full_name(name)
        xml = self.virt.xml(full)
        info = domxml.read(xml) if xml else None
        if info is None or info["owner_uid"] != self.caller.uid:
            raise NotFound(f"you have no VM named {name!r}", "ie-virsh list --all lists yours")
        return full, info

    def mine(self, domains: list[dict] | None = None) -> list[dict]:
        """The caller's VMs (name in their namespace and their owner element),
        from ``domains`` if already read, each with its ``short`` name."""
        if domains is None:
            domains = [self.usage(f) for f in self.virt.names() if self.short_name(f)]
        return [
            {**d, "short": self.short_name(d["name"])}
            for d in domains
            if self.short_name(d["name"]) and d["owner_uid"] == self.caller.uid
        ]

    def short_name(self, full: str) -> str:
        """The caller's name for the domain ``full``; "" if it is not in their namespace."""
        try:
            user, short = naming.split_qualified(full)
        except ValueError:
            return ""
        return short if user == self.caller.name else ""

    def usage(self, full: str) -> dict:
        """A domain's stored definition, with what it really uses while it runs:
        the larger of its live and stored vCPUs and memory count."""
        info = domxml.read(self.virt.xml(full) or "<domain/>")
        info["active"] = self.virt.is_active(full)
        info["live_vcpus"], info["live_memory_mib"] = info["vcpus"], info["memory_mib"]
        if info["active"]:
            live = domxml.read(self.virt.live_xml(full))
            info["live_vcpus"], info["live_memory_mib"] = live["vcpus"], live["memory_mib"]
            info["vcpus"] = max(info["vcpus"], live["vcpus"])
            info["memory_mib"] = max(info["memory_mib"], live["memory_mib"])
        return info

    # -- limits ---------------------------------------------------------------

    def check_limits(self, vcpus: int, memory_mib: int, disk_gib: int, replacing: str = "") -> None:
        lim = self.cfg.limits_for(self.caller.name)
        everyone = [d for d in self.all_owned() if d["name"] != replacing]
        others = self.mine(everyone)
        new = {"vcpus": vcpus, "memory_mib": memory_mib, "disk_gib": disk_gib}
        for what, total, limit in _over_limits(others, new, lim):
            raise QuotaExceeded(
                f"that would make {total} {what} in all; your limit is {limit}",
                "shrink or undefine a VM you no longer need, or ask the admins",
            )
        for what, total, limit in _over_limits(everyone, new, self.cfg.host_limits):
            raise QuotaExceeded(
                f"this server would have {total} {what} of student VMs; its limit is {limit}",
                "use another general server, or ask the admins",
            )

    def all_owned(self) -> list[dict]:
        """Every student's VMs on this host (domains with an ie-virsh owner)."""
        out = []
        for full in self.virt.names():
            info = self.usage(full)
            if info["owner_uid"] is not None:
                out.append(info)
        return out

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held across every limit check and the change it guards (define, edit,
        start), by every student on this host: limits are per server."""
        with locking.flocked(self.cfg.lock_file):
            yield

    # -- templates and paths ----------------------------------------------------

    def templates(self) -> list[str]:
        try:
            entries = sorted(os.listdir(self.cfg.templates_dir))
        except FileNotFoundError:
            return []
        return [
            e[: -len(TEMPLATE_SUFFIX)]
            for e in entries
            if e.endswith(TEMPLATE_SUFFIX) and TEMPLATE_RE.fullmatch(e[: -len(TEMPLATE_SUFFIX)])
        ]

    def template_path(self, name: str) -> str:
        # Only names from the admins' directory listing: never a path.
        if name not in self.templates():
            raise NotFound(f"there is no template {name!r}", "ie-virsh templates lists them")
        return os.path.join(self.cfg.templates_dir, name + TEMPLATE_SUFFIX)

    def spec(self, full: str, **values: Any) -> domxml.Spec:
        """A domain of the caller's: the owner always comes from the caller."""
        return domxml.Spec(
            name=full, owner_uid=self.caller.uid, owner_user=self.caller.name, **values
        )

    def gdb_dir(self) -> str:
        return os.path.join(self.cfg.run_dir, naming.encode_user(self.caller.name))

    # -- commands ---------------------------------------------------------------

    def cmd_define(self, a: argparse.Namespace) -> int:
        name, vcpus, memory = a.name, a.vcpus, a.memory
        if a.xml:
            if a.name:
                raise UsageError("give NAME or --xml FILE, not both")
            values = self.read_user_xml(a.xml)
            name = values["name"]
            vcpus = vcpus or values["vcpus"]
            memory = memory or values["memory_mib"]
            if values["ignored"]:
                print(
                    "ie-virsh: only name, vcpu and memory are taken from the XML; ignored: "
                    + ", ".join(values["ignored"]),
                    file=sys.stderr,
                )
        if not name:
            raise UsageError("define needs a NAME (or --xml FILE with a <name>)")
        vcpus = vcpus or self.cfg.default_vcpus
        memory = memory or self.cfg.default_memory_mib
        full = self.full_name(name)
        template = self.template_path(a.template)
        disk = a.disk or max(self.cfg.default_disk_gib, 1)
        if vcpus < 1 or memory < 64 or disk < 1:
            raise UsageError("vCPUs, memory (MiB, 64 or more) and disk (GiB) must be positive")
        with self.locked():
            return self.define_locked(a, name, full, template, vcpus, memory, disk)

    def define_locked(
        self,
        a: argparse.Namespace,
        name: str,
        full: str,
        template: str,
        vcpus: int,
        memory: int,
        disk: int,
    ) -> int:
        if self.virt.xml(full) is not None:
            raise Refused(f"you already have a VM named {name!r}")
        self.check_limits(vcpus, memory, disk)
        base_gib = backend.virtual_size_gib(self.cfg.qemu_img, template)
        if disk < base_gib:
            raise UsageError(f"the template {a.template!r} needs a disk of {base_gib} GiB or more")
        overlay = os.path.join(self.cfg.images_dir, full + ".qcow2")
        if os.path.lexists(overlay):
            raise Refused(f"a disk for {name!r} is left over; ask the admins to remove {overlay}")
        spec = self.spec(
            full,
            vcpus=vcpus,
            memory_mib=memory,
            disk_path=overlay,
            disk_gib=disk,
            template=a.template,
            domain_type=self.cfg.domain_type,
            interface_type=self.cfg.interface.get("type", "user"),
            interface_source=self.cfg.interface.get("source", ""),
            gdb_socket=os.path.join(self.gdb_dir(), name + ".gdb") if a.gdb else "",
        )
        xml = domxml.build(spec)
        backend.create_overlay(self.cfg.qemu_img, template, overlay, disk)
        try:
            self.virt.define(xml)
        except IeError:
            os.unlink(overlay)
            raise
        self.audit("define", name, "ok", f"template={a.template} vcpus={vcpus} memory={memory}")
        print(f"{name}: {vcpus} vCPU, {memory} MiB, {disk} GiB on {a.template}")
        if a.gdb:
            print(f"gdbstub: {spec.gdb_socket} once started (ie-virsh gdb {name})")
        return EXIT_OK

    def read_user_xml(self, path: str) -> dict:
        """The student's XML file, read with the student's own rights (1 MB at most)."""

        def read(out: BinaryIO) -> None:
            with open(os.path.join(self.cwd, path), "rb") as fh:
                out.write(fh.read(1_000_000))

        text = userio.output_as_user(self.caller, read).decode("utf-8", errors="replace")
        return domxml.from_user_xml(text)

    def cmd_undefine(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if self.virt.is_active(full):
            raise Refused(f"{a.name} is running", f"ie-virsh destroy {a.name} first")
        self.virt.undefine(full)
        for disk in info["disks"]:
            if disk.startswith(self.cfg.images_dir.rstrip("/") + "/") and os.path.isfile(disk):
                os.unlink(disk)
        self.audit("undefine", a.name, "ok")
        print(a.name)
        return EXIT_OK

    def cmd_list(self, a: argparse.Namespace) -> int:
        rows = [
            {
                "name": d["short"],
                "state": "running" if d["active"] else "shut off",
                "vcpus": d["vcpus"],
                "memory_mib": d["memory_mib"],
                "disk_gib": d["disk_gib"],
                "template": d["template"],
                "gdb": bool(d["gdb_socket"]),
            }
            for d in self.mine()
            if a.all or d["active"]
        ]
        self.table(a, rows, ["name", "state", "vcpus", "memory_mib", "disk_gib", "template"])
        return EXIT_OK

    def cmd_start(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        socket = info["gdb_socket"]
        with self.locked():
            if self.virt.is_active(full):
                raise Refused(f"{a.name} is already running")
            # what it boots with, against everything else that is defined or running
            self.check_limits(info["vcpus"], info["memory_mib"], info["disk_gib"], replacing=full)
            if socket:
                self.prepare_gdb_dir(socket)
            self.virt.start(full)
        if socket:
            self.hand_over_socket(socket)
        self.audit("start", a.name, "ok")
        print(a.name + (f" (gdbstub: {socket})" if socket else ""))
        return EXIT_OK

    def prepare_gdb_dir(self, socket: str) -> None:
        """The caller's socket directory, ``/run/ie-virsh/<user>``: QEMU's, with
        the caller's group allowed to pass through (0710). QEMU makes the
        socket there; the student can reach it but can write nothing into
        /run, and cannot swap the socket for anything else."""
        import pwd

        directory = os.path.dirname(socket)
        if directory != self.gdb_dir():
            raise Refused("the gdbstub socket is not in your directory")
        qemu_uid = pwd.getpwnam(self.cfg.qemu_user).pw_uid
        os.makedirs(self.cfg.run_dir, mode=0o755, exist_ok=True)
        if os.path.islink(directory):
            os.unlink(directory)
        os.makedirs(directory, mode=0o710, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchown(fd, qemu_uid, self.caller.gid)
            os.fchmod(fd, 0o710)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.basename(socket), dir_fd=fd)
        finally:
            os.close(fd)

    def hand_over_socket(self, socket: str) -> None:
        """QEMU made the socket; only the owner (and QEMU) may connect to it.

        The directory is the student's, so the name may have been swapped for
        a link: the socket is opened without following links, checked (a
        socket, one link, made by QEMU) and changed through its descriptor."""
        import grp
        import pwd

        gid = grp.getgrnam(self.cfg.qemu_group).gr_gid
        qemu_uids = {0}
        with contextlib.suppress(KeyError):
            qemu_uids.add(pwd.getpwnam(self.cfg.qemu_user).pw_uid)
        for _ in range(50):
            if os.path.lexists(socket):
                break
            time.sleep(0.1)
        else:
            raise IeError(f"QEMU did not create the gdbstub socket {socket}")
        try:
            fd = os.open(socket, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise Refused(f"the gdbstub socket {socket} cannot be opened: {exc.strerror}") from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISSOCK(st.st_mode) or st.st_nlink != 1 or st.st_uid not in qemu_uids:
                raise Refused(
                    f"{socket} is not the socket QEMU made; it was left as it is",
                    "do not change the files in your gdbstub directory while a VM starts",
                )
            os.chown(f"/proc/self/fd/{fd}", self.caller.uid, gid)
            os.chmod(f"/proc/self/fd/{fd}", 0o660)
        finally:
            os.close(fd)

    def cmd_destroy(self, a: argparse.Namespace) -> int:
        full, _ = self.own(a.name)
        if not self.virt.is_active(full):
            raise Refused(f"{a.name} is not running")
        self.virt.destroy(full)
        self.audit("destroy", a.name, "ok")
        print(a.name)
        return EXIT_OK

    def cmd_dumpxml(self, a: argparse.Namespace) -> int:
        full, _ = self.own(a.name)
        print(self.virt.live_xml(full) if self.virt.is_active(full) else self.virt.xml(full))
        return EXIT_OK

    def cmd_edit(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if a.vcpus is None and a.memory is None:
            raise UsageError("edit changes --vcpus and/or --memory (disk growth is an admin's job)")
        vcpus = a.vcpus or info["vcpus"]
        memory = a.memory or info["memory_mib"]
        if vcpus < 1 or memory < 64:
            raise UsageError("vCPUs must be 1 or more and memory 64 MiB or more")
        with self.locked():
            return self.edit_locked(a, full, vcpus, memory)

    def edit_locked(self, a: argparse.Namespace, full: str, vcpus: int, memory: int) -> int:
        info = self.usage(full)  # read again, under the lock
        if self.virt.is_active(full):
            # the running VM keeps its size: count the larger of the two
            self.check_limits(
                max(vcpus, info["live_vcpus"]),
                max(memory, info["live_memory_mib"]),
                info["disk_gib"],
                replacing=full,
            )
        else:
            self.check_limits(vcpus, memory, info["disk_gib"], replacing=full)
        iface = info["interfaces"][0] if info["interfaces"] else {}
        spec = self.spec(
            full,
            vcpus=vcpus,
            memory_mib=memory,
            disk_path=info["disks"][0],
            disk_gib=info["disk_gib"],
            template=info["template"],
            domain_type=info["type"] or self.cfg.domain_type,
            interface_type=iface.get("type") or self.cfg.interface.get("type", "user"),
            interface_source=iface.get("source", ""),
            gdb_socket=info["gdb_socket"],
            uuid=info["uuid"],
            mac=iface.get("mac", ""),
        )
        self.virt.define(domxml.build(spec))
        self.audit("edit", a.name, "ok", f"vcpus={vcpus} memory={memory}")
        note = " (from the next start)" if self.virt.is_active(full) else ""
        print(f"{a.name}: {vcpus} vCPU, {memory} MiB{note}")
        return EXIT_OK

    def cmd_domiflist(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if self.virt.is_active(full):
            info = domxml.read(self.virt.live_xml(full))
        self.table(a, info["interfaces"], ["type", "source", "model", "mac"])
        return EXIT_OK

    def cmd_templates(self, a: argparse.Namespace) -> int:
        self.table(a, [{"template": t} for t in self.templates()], ["template"])
        return EXIT_OK

    def cmd_gdb(self, a: argparse.Namespace) -> int:
        _, info = self.own(a.name)
        if not info["gdb_socket"]:
            raise Refused(f"{a.name} was defined without -gdb")
        print(f"gdbstub of {a.name}: {info['gdb_socket']}")
        print(f"connect: gdb -ex 'target remote {info['gdb_socket']}' vmlinux")
        return EXIT_OK

    def cmd_console(self, a: argparse.Namespace) -> int:
        full, _ = self.own(a.name)
        self.audit("console", a.name, "ok")
        os.execve(  # noqa: S606 - argv list, the admin's virsh
            self.cfg.virsh, [self.cfg.virsh, "-c", self.cfg.uri, "console", full], backend.CLEAN_ENV
        )
        return EXIT_OK  # not reached

    # -- helpers ------------------------------------------------------------------

    def table(self, a: argparse.Namespace, rows: list[dict], columns: list[str]) -> None:
        print(output.render(rows, columns, getattr(a, "format", "table")))

    def audit(self, command: str, target: str, outcome: str, detail: str = "") -> None:
        audit.record(self.cfg.audit_log, self.caller, command, target, outcome, detail, "ie-virsh")


def _over_limits(existing: list[dict], new: dict, limits: config.Limits) -> list[tuple]:
    """(what, total, limit) for each limit ``existing`` plus ``new`` would pass."""
    totals = [
        ("VMs", len(existing) + 1, limits.vms),
        ("vCPUs", sum(d["vcpus"] for d in existing) + new["vcpus"], limits.vcpus),
        (
            "MiB of memory",
            sum(d["memory_mib"] for d in existing) + new["memory_mib"],
            limits.memory_mib,
        ),
        ("GiB of disk", sum(d["disk_gib"] for d in existing) + new["disk_gib"], limits.disk_gib),
    ]
    return [t for t in totals if t[1] > t[2]]


def parser() -> Usage:
    p = Usage(
        prog="ie-virsh",
        description="VMs for students on the system libvirt: every VM is yours alone.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"ie-virsh {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Usage)

    def cmd(name: str, help_text: str, fmt: bool = False) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if fmt:
            c.add_argument("--format", choices=["table", "json"], default="table")
        return c

    d = cmd("define", "create a VM from an admin template (copy-on-write disk)")
    d.add_argument("name", nargs="?", help="the VM's name (completed with your user name)")
    d.add_argument("--template", required=True, help="one of `ie-virsh templates`")
    d.add_argument("--xml", metavar="FILE", help="take name, vcpu and memory from this XML file")
    d.add_argument("--vcpus", type=int, help="virtual CPUs (default 1)")
    d.add_argument("--memory", type=int, metavar="MiB", help="memory in MiB (default 1024)")
    d.add_argument("--disk", type=int, metavar="GiB", help="disk size in GiB (default 10)")
    d.add_argument(
        "-gdb", "--gdb", action="store_true", help="QEMU gdbstub on a socket only you can use"
    )
    for name, text in (
        ("undefine", "delete one of your VMs and its disk"),
        ("start", "power on one of your VMs"),
        ("destroy", "force off one of your VMs"),
        ("dumpxml", "show a VM's XML"),
        ("gdb", "say how to connect gdb to a VM defined with -gdb"),
        ("console", "attach to a VM's serial console (Ctrl+] leaves)"),
    ):
        cmd(name, text).add_argument("name")
    e = cmd("edit", "change a VM's vCPUs and memory (disk growth: ask the admins)")
    e.add_argument("name")
    e.add_argument("--vcpus", type=int)
    e.add_argument("--memory", type=int, metavar="MiB")
    cmd("list", "list your VMs", fmt=True).add_argument("--all", action="store_true")
    cmd("domiflist", "show a VM's interfaces (MAC addresses)", fmt=True).add_argument("name")
    cmd("templates", "list the templates define --template accepts", fmt=True)
    return p


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    app = None
    try:
        ns = parser().parse_args(args)
        cfg = config.load(config.DEFAULT_PATH)
        caller = from_sudo(env, cfg.min_uid, program="ie-virsh")
        if caller.is_admin:
            raise Refused("ie-virsh is for students; root uses virsh")
        app = App(caller, cfg, backend.Libvirt(cfg.uri), os.getcwd())
        return getattr(app, "cmd_" + ns.command)(ns)
    except IeError as exc:
        if app is not None:
            app.audit(
                args[0] if args else "", " ".join(args[1:])[:200], type(exc).__name__, exc.message
            )
        print(f"ie-virsh: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"ie-virsh: hint: {exc.hint}", file=sys.stderr)
        return exc.exit_status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
