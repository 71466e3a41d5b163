"""ie-podman registry push/search and pull: the department registry, where
each student's images live under their own name."""

from __future__ import annotations

import json
import re
from typing import Any

from ie_common.errors import EXIT_OK, IeError, NotFound, Refused, UsageError
from ie_common.i18n import _
from ie_podman import naming, options, policy
from ie_podman.backend import OWNER_LABEL, labels_of


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

    def cmd_registry(self, args: list[str]) -> int:
        if not args or args[0] not in ("push", "search"):
            raise UsageError(_("registry push IMAGE[:TAG], or registry search [IMAGE]"))
        self.registry_name()
        parsed = policy.parse_options(args[1:], options.FORMAT_ONLY, stop_at_first_positional=False)
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
            data = self.registry_get(f"/v2/{repo}/tags/list")
            rows = [{"image": repo, "tag": t} for t in sorted(data.get("tags") or [])]
            self.table(parsed, rows, ["image", "tag"])
        else:
            data = self.registry_get("/v2/_catalog")
            rows = [{"image": r} for r in sorted(data.get("repositories") or [])]
            self.table(parsed, rows, ["image"])
        return EXIT_OK

    def cmd_pull(self, args: list[str]) -> int:
        """Pull one of the caller's own images back from the department
        registry (their namespace there, as ``registry push`` put it)."""
        parsed = policy.parse_options(args, options.NAMES_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError(_("pull needs one IMAGE[:TAG] of yours in the registry"))
        self.registry_name()
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

    def registry_get(self, path: str) -> dict[str, Any]:
        # Imported here: ssl and urllib take longer to load than the other
        # commands take to run.
        import ssl
        import urllib.error
        import urllib.request

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
