"""ie-podman cp and sif: files in and out of containers and images, streamed and capped."""

from __future__ import annotations

import io
import os
import stat
from typing import BinaryIO

from ie_common import userio
from ie_common.errors import EXIT_OK, IeError, Refused, UsageError
from ie_common.i18n import _
from ie_podman import naming, options, policy


def container_part(text: str) -> tuple[str, str] | None:
    name, sep, path = text.partition(":")
    if sep and naming.CONTAINER_RE.fullmatch(name) and "/" not in name:
        return name, path
    return None


class TransferCommands:
    """A mixin of App (ie_podman.cli): cp and sif."""

    def cmd_cp(self, args: list[str]) -> int:
        import shutil  # here, not at the top: what ps and run never use costs them start-up time

        parsed = policy.parse_options(args, options.FORMAT_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 2:
            raise UsageError(_("cp needs SRC and DEST; one of them NAME:PATH"))
        src, dest = parsed.positionals
        src_ctr, dest_ctr = container_part(src), container_part(dest)
        if (src_ctr is None) == (dest_ctr is None):
            raise UsageError(
                _("cp copies between your files and a container: one side is NAME:PATH")
            )
        if dest_ctr is not None:
            name, inside = dest_ctr
            full, _owned = self.own_container(name)
            if not inside.startswith("/"):
                raise UsageError(_("the path in the container must be absolute"))
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
            full, _owned = self.own_container(name)
            local = userio.in_directory(self.cwd, dest)
            into = local if os.path.isdir(local) else os.path.dirname(local) or "."
            rename = None if os.path.isdir(local) else os.path.basename(local)
            # Unpacked into a directory of the student's beside the target, and
            # moved into place only once Podman and the size cap said the copy
            # is whole: a failed copy leaves nothing behind (issue 25).
            staging = os.path.join(into, f".ie-podman-cp-{os.urandom(4).hex()}")

            unpack = userio.unpacker(staging, rename_to=rename)  # made here, run as the caller

            def write(pipe: BinaryIO) -> None:
                os.mkdir(staging, 0o700)
                unpack(pipe)

            try:
                with (
                    self.podman.stream_out(["cp", f"{full}:{inside}", "-"]) as out,
                    userio.piped_as_user(self.caller, write, child_reads=True) as sink,
                ):
                    capped = userio.Capped(out, self.upload_limit(), f"{name}:{inside}")
                    userio.copy_stream(io.BufferedReader(capped, userio.CHUNK), sink)
                userio.as_user(self.caller, lambda: userio.merge_into(staging, into))
            except BaseException:
                userio.as_user(self.caller, lambda: shutil.rmtree(staging, ignore_errors=True))
                raise
            self.audit("cp", name, "ok", f"container={full} out {inside}")
        return EXIT_OK

    def upload_limit(self) -> int:
        return (self.cfg.max_upload_mib or 1 << 40) * 2**20

    def is_dir_in(self, full: str, path: str) -> bool:
        """Whether ``path`` is a directory in the container: only the first
        header of Podman's tar stream is read."""
        import tarfile  # here, not at the top: what ps and run never use costs them start-up time

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
        parsed = policy.parse_options(args, options.SIF, stop_at_first_positional=False)
        if len(parsed.positionals) not in (1, 2):
            raise UsageError(_("sif needs IMAGE and optionally the OUTPUT file"))
        ref, _owned = self.own_image(parsed.positionals[0])
        name, tag = naming.parse_image_name(parsed.positionals[0])
        output = (
            userio.in_directory(self.cwd, parsed.positionals[1])
            if len(parsed.positionals) == 2
            else os.path.join(self.caller.home, f"{name}_{tag}.sif")
        )
        # The archive stays in a directory of root's until apptainer has read
        # it: the student gets the file (by its descriptor), never the directory.
        import shutil
        import tempfile  # here: it costs every command 8 ms to load (random, hashlib)

        tmp = tempfile.mkdtemp(prefix="ie-podman-sif-", dir="/var/tmp")
        try:
            archive = os.path.join(tmp, "image.tar")
            self.podman.run(["save", "--format=docker-archive", f"--output={archive}", ref])
            fd = os.open(archive, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise IeError(_("podman save did not write a file"))
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
                _(
                    "the SIF would be larger than {max_sif_mib} MiB, this server's limit",
                    max_sif_mib=self.cfg.max_sif_mib,
                ),
                _("make the image smaller, or ask the admins"),
            )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise UsageError(
                _(
                    "apptainer build failed: {error}",
                    error=message[-1] if message else result.returncode,
                ),
                _("--force replaces an existing SIF") if os.path.exists(output) else None,
            )
        self.audit("sif", parsed.positionals[0], "ok", output)
        self.say(output)
        return EXIT_OK
