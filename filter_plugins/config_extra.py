"""Filters for the site's extra configuration keys (slurm.conf, sssd.conf)
and the checks of them: the rules are in the collection's
plugin_utils/config_extra.py, shared with the preflight."""

from __future__ import annotations

from typing import Any

from ansible_collections.ie.cluster.plugins.plugin_utils.config_extra import (
    ceph_settings_problems,
    ini_extra_problems,
    ini_lines,
    slurm_conf_lines,
    slurm_extra_problems,
)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "slurm_conf_lines": slurm_conf_lines,
            "slurm_extra_problems": slurm_extra_problems,
            "ini_lines": ini_lines,
            "ini_extra_problems": ini_extra_problems,
            "ceph_settings_problems": ceph_settings_problems,
        }
