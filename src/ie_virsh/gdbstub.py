"""ie-virsh's gdbstub: the socket QEMU makes for a VM defined with -gdb,
handed to its owner alone, through descriptors (the directory is reachable
by the student, so names there may be swapped while a VM starts)."""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import time

from ie_common import naming
from ie_common.errors import EXIT_OK, IeError, Refused
from ie_common.i18n import _


class GdbstubCommands:
    """A mixin of App (ie_virsh.cli): the gdbstub directory and socket, and gdb."""

    def gdb_dir(self) -> str:
        return os.path.join(self.cfg.run_dir, naming.encode_user(self.caller.name))

    def prepare_gdb_dir(self, socket: str) -> None:
        """The caller's socket directory, ``/run/ie-virsh/<user>``: QEMU's, with
        the caller's group allowed to pass through (0710). QEMU makes the
        socket there; the student can reach it but can write nothing into
        /run, and cannot swap the socket for anything else."""
        directory = os.path.dirname(socket)
        if directory != self.gdb_dir():
            raise Refused(_("the gdbstub socket is not in your directory"))
        qemu_uid, _qemu_gid = self.cfg.qemu_ids()
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
        qemu_uid, gid = self.cfg.qemu_ids()
        qemu_uids = {0, qemu_uid}
        for _attempt in range(50):
            if os.path.lexists(socket):
                break
            time.sleep(0.1)
        else:
            raise IeError(_("QEMU did not create the gdbstub socket {socket}", socket=socket))
        try:
            fd = os.open(socket, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise Refused(
                _(
                    "the gdbstub socket {socket} cannot be opened: {strerror}",
                    socket=socket,
                    strerror=exc.strerror,
                )
            ) from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISSOCK(st.st_mode) or st.st_nlink != 1 or st.st_uid not in qemu_uids:
                raise Refused(
                    _("{socket} is not the socket QEMU made; it was left as it is", socket=socket),
                    _("do not change the files in your gdbstub directory while a VM starts"),
                )
            os.chown(f"/proc/self/fd/{fd}", self.caller.uid, gid)
            os.chmod(f"/proc/self/fd/{fd}", 0o660)
        finally:
            os.close(fd)

    def cmd_gdb(self, a: argparse.Namespace) -> int:
        _full, info = self.own(a.name)
        if not info["gdb_socket"]:
            raise Refused(
                _("{name} was defined without -gdb", name=a.name),
                _(
                    "define a VM with -gdb to debug its kernel: ie-virsh define NAME "
                    "--template T -gdb"
                ),
            )
        print(_("gdbstub of {name}: {socket}", name=a.name, socket=info["gdb_socket"]))
        print(_("connect: gdb -ex 'target remote {socket}' vmlinux", socket=info["gdb_socket"]))
        return EXIT_OK
