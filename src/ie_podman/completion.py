"""ie-podman __complete: the caller's own names, for the bash completion
(``/usr/share/bash-completion/completions/ie-podman``, installed by the
ie_podman role). It runs through sudo like every command, so it sees the
caller's containers and images only."""

from __future__ import annotations

from typing import Any

from ie_common.errors import EXIT_OK, UsageError
from ie_common.i18n import _
from ie_podman import options, policy

KINDS = ("containers", "running", "images")


class CompletionCommands:
    """A mixin of App (ie_podman.cli)."""

    def cmd_complete(self: Any, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.NAMES_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 1 or parsed.positionals[0] not in KINDS:
            raise UsageError(_("__complete takes one of {kinds}", kinds=", ".join(KINDS)))
        kind = parsed.positionals[0]
        if kind == "images":
            names = sorted({r["image"] for r in self.image_rows()})
        else:
            names = sorted(r["name"] for r in self.container_rows(kind == "containers"))
        if names:
            self.say("\n".join(names))
        return EXIT_OK
