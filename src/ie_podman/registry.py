"""ie-podman registry push/share/unshare/search and pull: the department
registry, where each student's images live under their own name.

Students hold no registry account; ie-podman writes for them with its
service account, only under the caller's own namespace:

- ``<ns>/<name>:<tag>``: the caller's pushed image (``registry push``);
- ``<ns>/shares/<ns of B>/<name>:<tag>``: the same image shared with B
  (``registry share``); ``registry unshare`` deletes it.

B pulls it with ``pull OWNER/NAME[:TAG]``: ie-podman reads only the share
path for B, keeps the image only if its owner label is OWNER's (ie-podman
built it for OWNER), and gives B a copy labelled as B's.
"""

from __future__ import annotations

import json
import os
import pwd
import re
from typing import Any

from ie_common.errors import EXIT_OK, IeError, NotFound, Refused, UsageError
from ie_common.i18n import _
from ie_podman import naming, options, policy
from ie_podman.backend import OWNER_LABEL, labels_of

# The manifest kinds Podman pushes (OCI, Docker schema 2, and their lists):
# a HEAD must accept them to get the digest a DELETE needs.
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class RegistryCommands:
    """A mixin of App (ie_podman.cli): the registry command."""

    def registry_name(self) -> str:
        """The department registry; refused where none is configured."""
        if not self.cfg.registry:
            raise Refused(
                _("no department registry is configured on this host"),
                _("use the registry from a general server (the student guide lists them)"),
            )
        return str(self.cfg.registry)

    def remote_of(self, ref: str) -> str:
        """Where the caller's local image ``ref`` lives in the department
        registry: their namespace there."""
        return f"{self.registry_name()}/{ref.removeprefix('localhost/')}"

    def readable(self, repo: str) -> bool:
        """Whether the caller may see ``repo`` of the registry: one under
        their own namespace, or a share with them (OWNER/shares/CALLER/NAME)."""
        mine = naming.user_namespace(self.caller.name)
        parts = repo.split("/")
        return parts[0] == mine or (len(parts) == 4 and parts[1:3] == ["shares", mine])

    def share_of(self, ref: str, owner: str, reader: str) -> str:
        """Where ``owner``'s image ``ref`` is shared with ``reader``."""
        name = ref.removeprefix(naming.owned_image_prefix(owner))
        return (
            f"{self.registry_name()}/{naming.user_namespace(owner)}/shares/"
            f"{naming.user_namespace(reader)}/{name}"
        )

    def other_student(self, name: str) -> pwd.struct_passwd:
        """The account of another student named on the command line."""
        naming.user_namespace(name)  # the login name grammar, with fullmatch
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            account = None
        if account is None or account.pw_uid < self.cfg.min_uid:
            raise NotFound(
                _("there is no student {user!r}", user=name),
                _("give their login name, as `id NAME` shows it"),
            )
        if account.pw_uid == self.caller.uid:
            raise UsageError(_("that is you"), _("your own images need no sharing"))
        return account

    def cmd_registry(self, args: list[str]) -> int:
        if not args or args[0] not in ("push", "share", "unshare", "search"):
            raise UsageError(
                _(
                    "registry push IMAGE[:TAG], registry share|unshare IMAGE[:TAG] USER, "
                    "or registry search [IMAGE]"
                )
            )
        self.registry_name()
        parsed = policy.parse_options(args[1:], options.FORMAT_ONLY, stop_at_first_positional=False)
        if args[0] in ("share", "unshare"):
            return self.share(args[0], parsed.positionals)
        if args[0] == "push":
            if len(parsed.positionals) != 1:
                raise UsageError(_("registry push needs one IMAGE[:TAG]"))
            ref, _owned = self.own_image(parsed.positionals[0])
            remote = self.remote_of(ref)
            self.podman.run(["push", "--authfile", self.cfg.registry_auth_file, ref, remote])
            self.audit("registry push", parsed.positionals[0], "ok", remote)
            self.say(remote)
            return EXIT_OK
        if len(parsed.positionals) > 1:
            raise UsageError(_("registry search takes at most one IMAGE"))
        if parsed.positionals:
            repo = parsed.positionals[0]
            if not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", repo):
                raise UsageError(_("{repo!r} is not a repository name", repo=repo))
            if not self.readable(repo):
                raise NotFound(
                    _("the registry has no {image!r} of yours or shared with you", image=repo),
                    _("ie-podman registry search lists yours and those shared with you"),
                )
            data = self.registry_get(f"/v2/{repo}/tags/list")
            rows = [{"image": repo, "tag": t} for t in sorted(data.get("tags") or [])]
            self.table(parsed, rows, ["image", "tag"])
        else:
            data = self.registry_get("/v2/_catalog")
            # Other students' images, and whom they share with, are theirs.
            repos = [r for r in data.get("repositories") or [] if self.readable(r)]
            rows = [{"image": r} for r in sorted(repos)]
            self.table(parsed, rows, ["image"])
        return EXIT_OK

    def share(self, verb: str, positionals: list[str]) -> int:
        """registry share|unshare IMAGE[:TAG] USER: give USER a copy of one
        of the caller's images in the registry to pull, or take it back."""
        if len(positionals) != 2:
            raise UsageError(
                _("registry {verb} needs IMAGE[:TAG] and the USER", verb=verb),
                _("for example: registry {verb} web:1.0 {user}", verb=verb, user="s2400001"),
            )
        text, reader = positionals
        account = self.other_student(reader)
        if verb == "share":
            # The image checked is the image pushed: no rmi or build of the
            # caller's between them.
            with self.user_lock("images"):
                ref, _owned = self.own_image(text)
                remote = self.share_of(ref, self.caller.name, account.pw_name)
                self.podman.run(["push", "--authfile", self.cfg.registry_auth_file, ref, remote])
        else:
            ref = naming.image_ref(self.caller.name, text)
            remote = self.share_of(ref, self.caller.name, account.pw_name)
            repo, _sep, tag = remote.removeprefix(self.registry_name() + "/").rpartition(":")
            digest = self.registry_digest(repo, tag)
            if digest is None:
                raise NotFound(
                    _("{image!r} is not shared with {user}", image=text, user=account.pw_name)
                )
            self.registry_request("DELETE", f"/v2/{repo}/manifests/{digest}")
        self.audit(f"registry {verb}", text, "ok", f"{account.pw_name}: {remote}")
        self.say(f"{naming.display_image(self.caller.name, ref)} {account.pw_name}")
        return EXIT_OK

    def cmd_pull(self, args: list[str]) -> int:
        """Pull one of the caller's own images back from the department
        registry (their namespace there, as ``registry push`` put it), or,
        as OWNER/IMAGE[:TAG], one that OWNER shared with the caller."""
        parsed = policy.parse_options(args, options.NAMES_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError(_("pull needs one IMAGE[:TAG] of yours in the registry"))
        self.registry_name()
        owner, slash, text = parsed.positionals[0].rpartition("/")
        if slash:
            return self.pull_shared(owner, text)
        ref = naming.image_ref(self.caller.name, parsed.positionals[0])
        remote = self.remote_of(ref)
        with self.user_lock("images"):
            self.check_image_quota(ref)
            result = self.podman.run(
                ["pull", "--quiet", "--authfile", self.cfg.registry_auth_file, remote], check=False
            )
            if result.returncode != 0:
                raise NotFound(
                    _("the registry has no image {image!r} of yours", image=parsed.positionals[0]),
                    _(
                        "ie-podman registry search lists what it holds; push with ie-podman "
                        "registry push"
                    ),
                )
            image_id = (result.stdout or b"").decode().strip().splitlines()[-1:]
            data = self.podman.image(image_id[0] if image_id else remote)
            # What was pulled, not what was asked for: only an image that
            # ie-podman built for this caller becomes theirs.
            if data is None or labels_of(data).get(OWNER_LABEL) != str(self.caller.uid):
                self.podman.run(["rmi", remote], check=False)
                raise Refused(
                    _(
                        "{remote} was not built by you with ie-podman; it was not kept",
                        remote=remote,
                    )
                )
            self.podman.run(["tag", str(data["Id"]), ref])
            self.podman.run(["rmi", remote], check=False)  # the name; the image stays as ref
        self.audit("pull", parsed.positionals[0], "ok", f"{remote} -> {ref}")
        self.say(naming.display_image(self.caller.name, ref))
        return EXIT_OK

    def pull_shared(self, owner: str, text: str) -> int:
        """pull OWNER/IMAGE[:TAG]: the copy OWNER shared with the caller,
        kept as the caller's own IMAGE[:TAG]."""
        account = self.other_student(owner)
        ref = naming.image_ref(self.caller.name, text)
        remote = self.share_of(
            naming.image_ref(account.pw_name, text), account.pw_name, self.caller.name
        )
        shown = f"{account.pw_name}/{text}"
        with self.user_lock("images"):
            if self.podman.image(ref) is not None:
                raise Refused(
                    _(
                        "you have an image {image!r} already",
                        image=naming.display_image(self.caller.name, ref),
                    ),
                    _(
                        "delete it first (ie-podman rmi), or ask {user} to share another tag",
                        user=account.pw_name,
                    ),
                )
            self.check_image_quota(ref)
            result = self.podman.run(
                ["pull", "--quiet", "--authfile", self.cfg.registry_auth_file, remote], check=False
            )
            if result.returncode != 0:
                raise NotFound(
                    _("{user} has not shared {image!r} with you", user=account.pw_name, image=text),
                    _(
                        "ask them to run: sudo ie-podman registry share {image} {you}",
                        image=text,
                        you=self.caller.name,
                    ),
                )
            image_id = (result.stdout or b"").decode().strip().splitlines()[-1:]
            data = self.podman.image(image_id[0] if image_id else remote)
            try:
                # What was pulled: an image ie-podman built for OWNER, with no
                # build steps that would run in the caller's build below.
                if data is None or labels_of(data).get(OWNER_LABEL) != str(account.pw_uid):
                    raise Refused(
                        _(
                            "{remote} was not built by {user} with ie-podman; it was not kept",
                            remote=remote,
                            user=account.pw_name,
                        )
                    )
                if (data.get("Config") or {}).get("OnBuild"):
                    raise Refused(
                        _(
                            "{image!r} has ONBUILD steps; ask {user} for an image without them",
                            image=shown,
                            user=account.pw_name,
                        )
                    )
                self.relabel(str(data["Id"]), ref)
            finally:
                self.podman.run(["rmi", remote], check=False)  # the name; a copy stays as ref
            mine = self.podman.image(ref)
            if mine is None or labels_of(mine).get(OWNER_LABEL) != str(self.caller.uid):
                self.podman.run(["rmi", ref], check=False)
                raise IeError(_("the copy of {image!r} could not be made yours", image=shown))
        self.audit("pull", shown, "ok", f"{remote} -> {ref}")
        self.say(naming.display_image(self.caller.name, ref))
        return EXIT_OK

    def relabel(self, image_id: str, ref: str) -> None:
        """Tag ``image_id`` as the caller's ``ref``, labelled as theirs: a
        build of FROM alone, which runs nothing and adds no layer."""
        import tempfile  # here: it costs every command 8 ms to load (random, hashlib)

        if not re.fullmatch(r"(sha256:)?[0-9a-f]{64}", image_id):
            raise IeError(_("unexpected image ID {image_id!r}", image_id=image_id))
        with tempfile.TemporaryDirectory(prefix="ie-podman-pull-") as ctx:
            path = os.path.join(ctx, "Containerfile")
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(f"FROM {image_id.removeprefix('sha256:')}\n")
            self.podman.run(
                [
                    "build",
                    "--quiet",
                    "--pull=never",
                    f"--tag={ref}",
                    *self.owner_labels(),
                    f"--file={path}",
                    "--",
                    ctx,
                ]
            )

    def registry_digest(self, repo: str, tag: str) -> str | None:
        """The digest of ``repo:tag``'s manifest, or None if there is none."""
        headers = self.registry_request("HEAD", f"/v2/{repo}/manifests/{tag}", missing_ok=True)
        return None if headers is None else headers.get("Docker-Content-Digest")

    def registry_get(self, path: str) -> dict[str, Any]:
        return self.registry_request("GET", path)  # type: ignore[return-value]

    def registry_request(self, method: str, path: str, missing_ok: bool = False) -> Any:
        """The registry's answer to ``method path`` as ie-podman's account:
        GET parsed JSON, HEAD the headers (None where missing_ok and 404)."""
        # Imported here: ssl and urllib take longer to load than the other
        # commands take to run.
        import ssl
        import urllib.error
        import urllib.request

        with open(self.cfg.registry_auth_file, encoding="utf-8") as fh:
            auths = json.load(fh).get("auths", {})
        token = (auths.get(self.cfg.registry) or {}).get("auth", "")
        context = ssl.create_default_context(cafile=self.cfg.registry_ca or None)
        accept = ", ".join(MANIFEST_TYPES)
        request = urllib.request.Request(
            f"https://{self.cfg.registry}{path}",
            headers={"Authorization": f"Basic {token}", "Accept": accept},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=20) as response:  # noqa: S310
                if method == "GET":
                    return json.load(response)
                return response.headers
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            if exc.code == 404:
                raise NotFound(
                    _("the registry has no {image!r}", image=path.split("/")[2])
                ) from exc
            raise IeError(
                _("the registry answered {code} {reason}", code=exc.code, reason=exc.reason)
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise IeError(
                _(
                    "cannot reach the registry {registry}: {exc}",
                    registry=self.cfg.registry,
                    exc=exc,
                )
            ) from exc
