"""ie-podman run: create under the policy, inspect what was created, then start."""

from __future__ import annotations

import os
import sys
from typing import Any

from ie_common import userio
from ie_common.errors import QuotaExceeded, Refused, UsageError
from ie_common.i18n import _
from ie_podman import naming, options, policy, verify
from ie_podman.backend import IMAGE_LABEL, NETWORK_LABEL, OWNER_LABEL, labels_of


class RunCommands:
    """A mixin of App (ie_podman.cli): run and its checks."""

    def cmd_run(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.RUN)
        if not parsed.positionals:
            raise UsageError(
                _("run needs an IMAGE"), _("sudo ie-podman run [OPTIONS] IMAGE [COMMAND]")
            )
        image_text = parsed.positionals[0]
        v = parsed.values
        policy.check_values(v, self.cfg.max_memory_mib * 2**20, self.cfg.max_cpus)
        # (os.urandom, not the secrets module: that one loads OpenSSL on every call)
        name = str(v["name"]) if "name" in v else f"c-{os.urandom(3).hex()}"
        full = naming.container_name(self.caller.name, name)
        if v.get("gpu") and not self.cfg.gpu:
            raise Refused(
                _("this host has no GPU, so --gpu cannot be granted"),
                _("run on a server with a GPU (the admins' guide lists them)"),
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
                    raise Refused(
                        _("-v {spec}: the path may not contain ':', ',' or a new line", spec=spec),
                        _("rename the directory, or mount a directory above it"),
                    )
                held.append((self.hold_dir(real, mode == "rw"), inside))
                binds.append((real, inside, mode == "rw"))
            return self.run_checked(v, parsed, image, name, full, shown, binds, held)
        finally:
            for fd, _path in held:
                os.close(fd)

    def gpu_devices(self, v: dict[str, object]) -> list[str]:
        """The CDI devices ``--gpu`` asks for: the configured one (all GPUs),
        or one per number of ``--gpu N,N`` (``nvidia.com/gpu=0``)."""
        want = v.get("gpu")
        if not want:
            return []
        if want is True or want == "all":
            return [self.cfg.gpu_device]
        kind = self.cfg.gpu_device.partition("=")[0]
        return [f"{kind}={n}" for n in sorted({int(x) for x in str(want).split(",")})]

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
        argv += [f"--device={device}" for device in self.gpu_devices(v)]
        addr = None
        with self.user_lock():
            quota = self.cfg.quota_for(self.caller.name).containers
            if len(self.podman.containers_of(self.caller.uid)) >= quota:
                raise QuotaExceeded(
                    _("you already have {quota} containers, your limit", quota=quota),
                    _("remove one you no longer need: ie-podman rm NAME"),
                )
            if v.get("ip"):
                with self.leases.locked() as leases:
                    self.prune(leases)
                    addr = self.lease_for(leases, full, "" if v["ip"] is True else str(v["ip"]))
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
            gpu_devices=frozenset(self.gpu_devices(v)),
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
                    _(
                        "the container Podman made is not what ie-podman asked for "
                        "({found}); it was removed",
                        found="; ".join(found),
                    ),
                    _("tell the admins: this is a bug or a changed Podman default"),
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
            for fd, _path in held:
                os.close(fd)
        if found:
            self.podman.run(["stop", "--time=0", full], check=False)
            self.audit("start", full, "Refused", "; ".join(found))
            raise Refused(
                _("not started: {problems}", problems="; ".join(found)),
                _("mount directories of your home, and leave them in place while they are used"),
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
                    found.append(_("{path} is not a plain directory in the container", path=inside))
                    continue
                try:
                    a, b = os.fstat(fd), os.fstat(mounted)
                finally:
                    os.close(mounted)
                if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino):
                    found.append(
                        _("{path} is not the directory you named (it was swapped)", path=inside)
                    )
        finally:
            os.close(root)
        return found
