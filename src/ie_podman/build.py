"""ie-podman build: the recipe read as the builder reads it, built as the caller's own image."""

from __future__ import annotations

import io
import os
from pathlib import PurePosixPath

from ie_common import userio
from ie_common.errors import EXIT_OK, EXIT_TOOL, QuotaExceeded, Refused, UsageError
from ie_common.i18n import _
from ie_podman import naming, options, policy, recipe


class BuildCommands:
    """A mixin of App (ie_podman.cli): the build command."""

    def cmd_build(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.BUILD)
        v = parsed.values
        if "tag" not in v or len(parsed.positionals) != 1:
            raise UsageError(_("build needs --tag NAME[:TAG] and one context DIR"))
        ref = naming.image_ref(self.caller.name, str(v["tag"]))
        if "target" in v and not naming.CONTAINER_RE.fullmatch(str(v["target"])):
            raise UsageError(_("--target {target!r} is not a stage name", target=v["target"]))
        with self.user_lock("images"):
            return self.build_locked(parsed, ref)

    def check_image_quota(self, ref: str) -> None:
        """One more image (``ref``) is within the caller's limit; held under
        the caller's images lock with the change it guards (build, pull)."""
        quota = self.cfg.quota_for(self.caller.name).images
        mine = self.podman.images_of(self.caller.uid)
        # A rebuilt or re-pulled tag leaves the caller's old image behind,
        # untagged: not listed by ``images``, not removable by ``rmi``, yet
        # counted. At the limit, those no container uses go (Podman's prune,
        # of the caller's owner label only), so they never hold more than
        # the limit's space. Not on every build: the prune takes 0.1 s.
        if len(mine) >= quota and any(not i.get("Names") for i in mine):
            self.podman.prune_images_of(self.caller.uid)
            mine = self.podman.images_of(self.caller.uid)
        if ref not in {r for i in mine for r in i.get("Names") or []} and len(mine) >= quota:
            raise QuotaExceeded(
                _("you already have {quota} images, your limit", quota=quota),
                _("remove one you no longer need (ie-podman rmi), or re-use a tag"),
            )

    def build_locked(self, parsed: policy.Parsed, ref: str) -> int:
        v = parsed.values
        self.check_image_quota(ref)
        containerfile = str(v.get("file", "Containerfile"))
        cf = PurePosixPath(containerfile)
        if cf.is_absolute() or ".." in cf.parts:
            raise Refused(
                _("--file must name a file inside the build context"),
                _("give its path relative to DIR, e.g. --file Containerfile.dev"),
            )
        context = parsed.positionals[0]
        import tarfile  # here, not at the top: what ps and run never use costs them start-up time
        import tempfile  # here: it costs every command 8 ms to load (random, hashlib)

        with tempfile.TemporaryDirectory(prefix="ie-podman-build-") as tmp:
            os.chmod(tmp, 0o700)
            ctx = os.path.join(tmp, "context")
            os.mkdir(ctx, 0o700)
            try:
                with userio.tar_from_user(self.caller, context, ".", self.cwd) as stream:
                    capped = userio.Capped(stream, self.upload_limit(), _("the build context"))
                    userio.extract_safely(io.BufferedReader(capped, userio.CHUNK), ctx)
            except (tarfile.TarError, OSError) as exc:
                raise Refused(_("the build context cannot be used: {exc}", exc=exc)) from exc
            cf_path = os.path.join(ctx, containerfile)
            if (
                not os.path.isfile(cf_path)
                and "file" not in v
                and os.path.isfile(os.path.join(ctx, "Dockerfile"))
            ):
                containerfile, cf_path = "Dockerfile", os.path.join(ctx, "Dockerfile")
            if not os.path.isfile(cf_path) or os.path.islink(cf_path):
                raise UsageError(
                    _(
                        "no {containerfile} in {context}",
                        containerfile=containerfile,
                        context=context,
                    )
                )
            with open(cf_path, encoding="utf-8", errors="strict") as fh:
                try:
                    text = fh.read(1_000_000)
                except UnicodeDecodeError as exc:
                    raise UsageError(
                        _("{containerfile} is not UTF-8 text", containerfile=containerfile)
                    ) from exc
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
        # Podman's message is shown; its status (a RUN step's, or 125) is not
        # one of ie-podman's, so a failed build is 1 like any podman failure.
        return EXIT_OK if rc == 0 else EXIT_TOOL

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
                raise UsageError(
                    _("line {start_line}: FROM names no image", start_line=ins.start_line)
                )
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
                    _(
                        "line {start_line}: RUN --mount type={kind} is not allowed",
                        start_line=ins.start_line,
                        kind=kind,
                    ),
                    _("caches, secrets and SSH agents would be shared with other users"),
                )
            src = opts.get("from")
            if src and src.lower() not in stages:
                self.resolve_image(src, "never")
        for network in recipe.flag_values(ins.flags, "network"):
            if network.lower() not in ("default", "none"):
                raise Refused(
                    _(
                        "line {start_line}: RUN --network={network} is not allowed",
                        start_line=ins.start_line,
                        network=network,
                    ),
                    _("leave --network out: RUN steps have the default network"),
                )
        if recipe.flag_values(ins.flags, "security"):
            raise Refused(
                _("line {start_line}: RUN --security is not allowed", start_line=ins.start_line),
                _("leave it out: RUN steps run without extra privileges"),
            )
        return None
