"""The backup_points filter (the collection's plugin_utils/backup_points.py):
each backup point's own key and tree, for the rsnapshot and rsnapshot_source
roles."""

from __future__ import annotations

from typing import Any

from ansible_collections.ie.cluster.plugins.plugin_utils.backup_points import backup_points


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"backup_points": backup_points}
