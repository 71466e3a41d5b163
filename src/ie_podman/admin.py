"""ie-podman admin: root's commands (reclaim addresses, list leases)."""

from __future__ import annotations

import re
import time
from typing import Any

from ie_common.errors import EXIT_OK, Refused, UsageError
from ie_common.i18n import _
from ie_podman import options, policy


def podman_time(text: Any) -> float | None:
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?", text)
    if not match:
        return None
    stamp = match.group(1) + ("+00:00" if match.group(2) in (None, "Z") else match.group(2))
    from datetime import UTC, datetime  # admins' commands only

    return datetime.fromisoformat(stamp).astimezone(UTC).timestamp()


class AdminCommands:
    """A mixin of App (ie_podman.cli): admin reclaim and leases."""

    def cmd_admin(self, args: list[str]) -> int:
        if not self.caller.is_admin:
            raise Refused(_("admin commands are for root"))
        if not args or args[0] not in ("reclaim", "leases"):
            raise UsageError(_("admin reclaim [--older-than SECONDS] [--dry-run], or admin leases"))
        parsed = policy.parse_options(args[1:], options.ADMIN, stop_at_first_positional=False)
        if args[0] == "leases":
            rows = [
                {"address": a, "container": lease.get("container", ""), "uid": lease.get("uid")}
                for a, lease in sorted(self.leases.snapshot().items())
            ]
            self.table(parsed, rows, ["address", "container", "uid"])
            return EXIT_OK
        older = parsed.values.get("older_than", self.cfg.reclaim_after)
        older_s = int(options.seconds(older, "--older-than"))
        now = time.time()
        reclaimed = []
        with self.leases.locked() as leases:
            for addr, lease in sorted(leases.items()):
                full = str(lease.get("container", ""))
                data = self.podman.container(full)
                if data is None:
                    reclaimed.append({"address": addr, "container": full, "why": "gone"})
                    continue
                state = data.get("State") or {}
                if state.get("Running"):
                    continue
                finished = podman_time(state.get("FinishedAt")) or podman_time(data.get("Created"))
                if finished is None or now - finished < older_s:
                    continue
                reclaimed.append({"address": addr, "container": full, "why": "stopped"})
            if not parsed.values.get("dry_run"):
                for row in reclaimed:
                    if row["why"] == "stopped":
                        self.podman.run(
                            ["network", "disconnect", self.cfg.network, row["container"]],
                            check=False,
                        )
                    del leases[row["address"]]
        for row in reclaimed:
            outcome = "dry-run" if parsed.values.get("dry_run") else "ok"
            self.audit("admin reclaim", row["container"], outcome, row["address"])
        self.table(parsed, reclaimed, ["address", "container", "why"])
        return EXIT_OK
