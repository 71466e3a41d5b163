"""ie-podman's read-only commands: ps, images, info, logs, and the rows
they and the bash completion list (always the caller's own)."""

from __future__ import annotations

import json
from typing import Any

from ie_common.errors import EXIT_OK, UsageError
from ie_common.i18n import _
from ie_podman import ipam, naming, options, policy
from ie_podman.backend import IMAGE_LABEL, labels_of


class ListingCommands:
    """A mixin of App (ie_podman.cli)."""

    def cmd_logs(self: Any, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.LOGS, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError(_("logs needs one container NAME"))
        full, _owned = self.own_container(parsed.positionals[0])
        argv = ["logs"]
        if parsed.values.get("follow"):
            argv.append("--follow")
        if "tail" in parsed.values:
            tail = str(parsed.values["tail"])
            if not tail.isdigit():
                raise UsageError(_("--tail takes a number of lines"))
            argv += ["--tail", tail]
        return self.podman.interactive([*argv, full])

    def container_rows(self, everything: bool = True) -> list[dict[str, Any]]:
        """The caller's containers (running ones only unless ``everything``)."""
        rows = []
        leases = self.leases.snapshot()
        for c in self.podman.containers_of(self.caller.uid):
            full = (c.get("Names") or [""])[0]
            try:
                user, name = naming.split_container_name(full)
            except ValueError:
                continue
            if user != self.caller.name:
                continue
            if not everything and c.get("State") != "running":
                continue
            rows.append(
                {
                    "name": name,
                    "image": (c.get("Labels") or {}).get(IMAGE_LABEL)
                    or naming.display_image(self.caller.name, c.get("Image", "")),
                    "state": c.get("State", ""),
                    "status": c.get("Status", ""),
                    "ip": ",".join(ipam.addresses_of(leases, full)),
                    "id": c.get("Id", "")[:12],
                }
            )
        return rows

    def image_rows(self) -> list[dict[str, Any]]:
        """The caller's images, one row per name:tag."""
        prefix = naming.owned_image_prefix(self.caller.name)
        rows = []
        for img in self.podman.images_of(self.caller.uid):
            for ref in img.get("Names") or []:
                if ref.startswith(prefix):
                    rows.append(
                        {
                            "image": ref[len(prefix) :],
                            "id": img.get("Id", "")[:12],
                            "size": img.get("Size", 0),
                            "created": img.get("CreatedAt", ""),
                        }
                    )
        return rows

    def cmd_ps(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.PS, stop_at_first_positional=False)
        if parsed.positionals:
            raise UsageError(_("ps takes no arguments"))
        rows = self.container_rows(bool(parsed.values.get("all")))
        self.table(parsed, rows, ["name", "image", "state", "ip", "id"])
        return EXIT_OK

    def cmd_images(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.FORMAT_ONLY, stop_at_first_positional=False)
        if parsed.positionals:
            raise UsageError(_("images takes no arguments"))
        self.table(parsed, self.image_rows(), ["image", "id", "size"])
        return EXIT_OK

    def cmd_info(self, args: list[str]) -> int:
        parsed = policy.parse_options(args, options.FORMAT_ONLY, stop_at_first_positional=False)
        if len(parsed.positionals) != 1:
            raise UsageError(_("info needs one container NAME"))
        full, data = self.own_container(parsed.positionals[0])
        state = data.get("State") or {}
        networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
        info = {
            "name": parsed.positionals[0],
            "podman_name": full,
            "id": data.get("Id", ""),
            "image": labels_of(data).get(IMAGE_LABEL)
            or naming.display_image(self.caller.name, data.get("ImageName", "")),
            "state": state.get("Status", ""),
            "started": state.get("StartedAt", ""),
            "finished": state.get("FinishedAt", ""),
            "exit_code": state.get("ExitCode"),
            "addresses": {n: v.get("IPAddress", "") for n, v in networks.items()},
            "mounts": [
                f"{m.get('Source')}:{m.get('Destination')}" for m in data.get("Mounts") or []
            ],
            "command": (data.get("Config") or {}).get("Cmd"),
            "labels": labels_of(data),
        }
        if parsed.values.get("format") == "json":
            self.say(json.dumps(info, indent=2))
        else:
            for key, value in info.items():
                self.say(f"{key + ':':<12} {value}")
        return EXIT_OK

    # -- helpers -----------------------------------------------------------
