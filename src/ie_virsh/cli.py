"""The ie-virsh commands.

Every command resolves the caller from sudo and checks each domain it
names twice: the name is in the caller's namespace, and the owner element
in the domain's libvirt metadata is the caller's UID.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, BinaryIO

from ie_common import audit, errors, output, userio
from ie_common.errors import EXIT_OK, IeError, Refused, UsageError
from ie_common.i18n import _
from ie_common.identity import Caller, from_sudo
from ie_virsh import backend, config, domxml, options
from ie_virsh.gdbstub import GdbstubCommands
from ie_virsh.options import parser
from ie_virsh.owned import OwnedVMs
from ie_virsh.templates import TemplateFiles


class App(OwnedVMs, TemplateFiles, GdbstubCommands):
    """One caller's command; the gdbstub's part is ie_virsh.gdbstub's."""

    def __init__(self, caller: Caller, cfg: config.Config, virt: Any, cwd: str) -> None:
        self.caller = caller
        self.cfg = cfg
        self.virt = virt
        self.cwd = cwd

    def spec(self, full: str, **values: Any) -> domxml.Spec:
        """A domain of the caller's: the owner always comes from the caller,
        the boot files from the template's name, never from the XML."""
        qemu_uid, qemu_gid = self.cfg.qemu_ids()
        return domxml.Spec(
            name=full,
            owner_uid=self.caller.uid,
            owner_user=self.caller.name,
            qemu_uid=qemu_uid,
            qemu_gid=qemu_gid,
            **self.boot_files(values.get("template", "")),
            **values,
        )

    def spec_of(self, full: str, info: dict, **changes: Any) -> domxml.Spec:
        """The caller's defined VM ``full`` as ie-virsh writes it now, with ``changes``."""
        iface = info["interfaces"][0] if info["interfaces"] else {}
        values: dict[str, Any] = {
            "vcpus": info.get("defined_vcpus", info["vcpus"]),
            "memory_mib": info.get("defined_memory_mib", info["memory_mib"]),
            "disk_path": info["disks"][0],
            "disk_gib": info["disk_gib"],
            "template": info["template"],
            "domain_type": info["type"] or self.cfg.domain_type,
            "interface_type": iface.get("type") or self.cfg.interface.get("type", "user"),
            "interface_source": iface.get("source", ""),
            "gdb_socket": info["gdb_socket"],
            "uuid": info["uuid"],
            "mac": iface.get("mac", ""),
        }
        return self.spec(full, **(values | changes))

    def own_disks(self, info: dict) -> list[str]:
        """The VM's disks in the images directory (the only ones ie-virsh makes)."""
        images = self.cfg.images_dir.rstrip("/") + "/"
        return [d for d in info["disks"] if d.startswith(images) and ".." not in d.split("/")]

    # -- commands ---------------------------------------------------------------

    def cmd_define(self, a: argparse.Namespace) -> int:
        name, vcpus, memory = a.name, a.vcpus, a.memory
        if a.xml:
            if a.name:
                raise UsageError(_("give NAME or --xml FILE, not both"))
            values = self.read_user_xml(a.xml)
            name = values["name"]
            vcpus = vcpus or values["vcpus"]
            memory = memory or values["memory_mib"]
            if values["ignored"]:
                print(
                    _(
                        "ie-virsh: only name, vcpu and memory are taken from the XML; "
                        "ignored: {ignored}",
                        ignored=", ".join(values["ignored"]),
                    ),
                    file=sys.stderr,
                )
        if not name:
            raise UsageError(_("define needs a NAME (or --xml FILE with a <name>)"))
        vcpus = vcpus or self.cfg.default_vcpus
        memory = memory or self.cfg.default_memory_mib
        full = self.full_name(name)
        template = self.template_path(a.template)
        disk = a.disk or max(self.cfg.default_disk_gib, 1)
        if vcpus < 1 or memory < 64 or disk < 1:
            raise UsageError(_("vCPUs, memory (MiB, 64 or more) and disk (GiB) must be positive"))
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
            raise Refused(
                _("you already have a VM named {name!r}", name=name),
                _("choose another name, or remove it first: ie-virsh undefine {name}", name=name),
            )
        base_gib = backend.virtual_size_gib(self.cfg.qemu_img, template)
        if not a.disk:  # no size asked: at least the template's, which a smaller disk cannot hold
            disk = max(disk, base_gib)
        self.check_limits(vcpus, memory, disk)
        if disk < base_gib:
            raise UsageError(
                _(
                    "the template {template!r} needs a disk of {base_gib} GiB or more",
                    template=a.template,
                    base_gib=base_gib,
                )
            )
        overlay = os.path.join(self.cfg.images_dir, full + ".qcow2")
        if os.path.lexists(overlay):
            raise Refused(
                _(
                    "a disk for {name!r} is left over; ask the admins to remove {overlay}",
                    name=name,
                    overlay=overlay,
                )
            )
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
            backend.give_to_qemu(overlay, spec.qemu_uid, spec.qemu_gid)
            self.virt.define(xml)
        except IeError:
            os.unlink(overlay)
            raise
        self.audit("define", name, "ok", f"template={a.template} vcpus={vcpus} memory={memory}")
        print(
            _(
                "{name}: {vcpus} vCPU, {memory} MiB, {disk} GiB on {template}",
                name=name,
                vcpus=vcpus,
                memory=memory,
                disk=disk,
                template=a.template,
            )
        )
        if a.gdb:
            print(
                _(
                    "gdbstub: {socket} once started (ie-virsh gdb {name})",
                    socket=spec.gdb_socket,
                    name=name,
                )
            )
        return EXIT_OK

    def read_user_xml(self, path: str) -> dict:
        """The student's XML file, read with the student's own rights (1 MB at most)."""

        def read(out: BinaryIO) -> None:
            with open(userio.in_directory(self.cwd, path), "rb") as fh:
                out.write(fh.read(1_000_000))

        text = userio.output_as_user(self.caller, read).decode("utf-8", errors="replace")
        return domxml.from_user_xml(text)

    def cmd_undefine(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if self.virt.is_active(full):
            raise Refused(
                _("{name} is running", name=a.name), _("ie-virsh destroy {name} first", name=a.name)
            )
        self.virt.undefine(full)
        for disk in self.own_disks(info):
            if os.path.isfile(disk):
                os.unlink(disk)
        self.audit("undefine", a.name, "ok")
        print(a.name)
        return EXIT_OK

    def cmd_list(self, a: argparse.Namespace) -> int:
        # A running VM shows what it runs with; "next_boot" what it starts
        # with next (after ie-virsh edit), where that differs.
        rows = []
        for d in self.mine():
            if not (a.all or d["active"]):
                continue
            defined = (d["defined_vcpus"], d["defined_memory_mib"])
            live = (d["live_vcpus"], d["live_memory_mib"]) if d["active"] else defined
            rows.append(
                {
                    "name": d["short"],
                    "state": "running" if d["active"] else "shut off",
                    "vcpus": live[0],
                    "memory_mib": live[1],
                    "disk_gib": d["disk_gib"],
                    "template": d["template"],
                    "gdb": bool(d["gdb_socket"]),
                    "next_boot": "" if live == defined else f"{defined[0]} vCPU, {defined[1]} MiB",
                }
            )
        columns = ["name", "state", "vcpus", "memory_mib", "disk_gib", "template"]
        if any(r["next_boot"] for r in rows):
            columns.append("next_boot")
        self.table(a, rows, columns)
        return EXIT_OK

    def cmd_start(self, a: argparse.Namespace) -> int:
        with self.locked():
            full, info = self.own(a.name)
            socket = info["gdb_socket"]
            if self.virt.is_active(full):
                raise Refused(
                    _("{name} is already running", name=a.name),
                    _(
                        "ie-virsh destroy {name} turns it off; ie-virsh console {name} attaches",
                        name=a.name,
                    ),
                )
            # what it boots with, against everything else that is defined or running
            self.check_limits(info["vcpus"], info["memory_mib"], info["disk_gib"], replacing=full)
            self.make_current(full, info)
            if socket:
                self.prepare_gdb_dir(socket)
            self.virt.start(full)
        if socket:
            self.hand_over_socket(socket)
        self.audit("start", a.name, "ok")
        print(_("{name} (gdbstub: {socket})", name=a.name, socket=socket) if socket else a.name)
        return EXIT_OK

    def make_current(self, full: str, info: dict) -> None:
        """Before a start: a VM defined by an older ie-virsh (one that let
        libvirt chown the templates) is defined again as ie-virsh writes
        VMs now, and its disk is QEMU's."""
        spec = self.spec_of(full, info)
        if info["qemu_label"] != domxml.qemu_label(spec.qemu_uid, spec.qemu_gid):
            self.virt.define(domxml.build(spec))
        for disk in self.own_disks(info):
            backend.give_to_qemu(disk, spec.qemu_uid, spec.qemu_gid)

    def cmd_destroy(self, a: argparse.Namespace) -> int:
        full = self.own_running(a.name)
        self.virt.destroy(full)
        self.audit("destroy", a.name, "ok")
        print(a.name)
        return EXIT_OK

    def cmd_dumpxml(self, a: argparse.Namespace) -> int:
        full, _owned = self.own(a.name)
        print(self.virt.live_xml(full) if self.virt.is_active(full) else self.virt.xml(full))
        return EXIT_OK

    def cmd_edit(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if a.vcpus is None and a.memory is None:
            raise UsageError(
                _("edit changes --vcpus and/or --memory (disk growth is an admin's job)")
            )
        vcpus = a.vcpus or info["vcpus"]
        memory = a.memory or info["memory_mib"]
        if vcpus < 1 or memory < 64:
            raise UsageError(_("vCPUs must be 1 or more and memory 64 MiB or more"))
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
        self.virt.define(domxml.build(self.spec_of(full, info, vcpus=vcpus, memory_mib=memory)))
        self.audit("edit", a.name, "ok", f"vcpus={vcpus} memory={memory}")
        text = (
            _("{name}: {vcpus} vCPU, {memory} MiB (from the next start)")
            if self.virt.is_active(full)
            else _("{name}: {vcpus} vCPU, {memory} MiB")
        )
        print(text.format(name=a.name, vcpus=vcpus, memory=memory))
        return EXIT_OK

    def cmd_domiflist(self, a: argparse.Namespace) -> int:
        full, info = self.own(a.name)
        if self.virt.is_active(full):
            info = domxml.read(self.virt.live_xml(full))
        self.table(a, info["interfaces"], ["type", "source", "model", "mac"])
        return EXIT_OK

    def cmd___complete(self, a: argparse.Namespace) -> int:
        """The caller's VM names (all, or running ones) or the templates, one
        per line, for the bash completion; never another student's."""
        if a.kind == "templates":
            names = self.templates()
        else:
            names = sorted(d["short"] for d in self.mine() if a.kind == "vms" or d["active"])
        if names:
            print("\n".join(names))
        return EXIT_OK

    def cmd_templates(self, a: argparse.Namespace) -> int:
        self.table(a, [{"template": t} for t in self.templates()], ["template"])
        return EXIT_OK

    def cmd_console(self, a: argparse.Namespace) -> int:
        full = self.own_running(a.name)
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


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    options.use_language(env)
    app = None
    known: frozenset[str] = frozenset()
    try:
        try:
            cfg: config.Config | None = config.load(config.DEFAULT_PATH)
        except IeError as exc:
            cfg, unreadable = None, exc
        # --help ends here, with this server's defaults and limits where readable.
        cli_parser = parser(cfg)
        known = options.command_names(cli_parser)
        ns = cli_parser.parse_args(args)
        if cfg is None:
            raise unreadable
        caller = from_sudo(env, cfg.min_uid, program="ie-virsh")
        if caller.is_admin:
            raise Refused(_("ie-virsh is for students; root uses virsh"))
        app = App(caller, cfg, backend.Libvirt(cfg.uri), userio.current_directory())
        return getattr(app, "cmd_" + ns.command)(ns)
    except IeError as exc:
        if app is not None:
            app.audit(
                args[0] if args else "", " ".join(args[1:])[:200], type(exc).__name__, exc.message
            )
        command = args[0] if args and args[0] in known else ""
        errors.report("ie-virsh", exc, command)
        return exc.exit_status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
