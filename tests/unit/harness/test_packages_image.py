"""The packages image (tools/harness/build-packages-image.sh) starts hosts as the
roles would leave them before configuring: their accounts with the roles'
fixed IDs, their packages, and no daemon a role enables started at boot."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = (ROOT / "tools/harness/build-packages-image.sh").read_text()
LIST = (ROOT / "tools/harness/packages-image.list").read_text()


def defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text())


def listed(prefix: str = "") -> set[str]:
    words: set[str] = set()
    for line in LIST.splitlines():
        line = line.split("#", 1)[0].strip()
        if prefix and line.startswith(prefix + " "):
            words |= set(line.split()[1:])
        elif not prefix and line and not line.startswith("+"):
            words |= set(line.split())
    return words


def test_accounts_have_the_roles_fixed_ids():
    for role, name, uid, gid in (
        ("munge", "munge", "munge_uid", "munge_gid"),
        ("slurm_common", "slurm", "slurm_common_uid", "slurm_common_gid"),
    ):
        values = defaults(role)
        assert re.search(rf"groupadd --system --gid {values[gid]} {name}\n", SCRIPT), name
        assert re.search(rf"useradd --system --uid {values[uid]} --gid {name} .* {name}\n", SCRIPT)
    # made before the packages that would make them otherwise
    assert SCRIPT.index("useradd") < SCRIPT.index("apt-get install")


def test_the_roles_package_lists_are_in_it():
    plain = listed()
    assert set(defaults("kvm")["kvm_packages"]) <= plain
    assert set(defaults("podman")["podman_packages"]) <= plain
    assert set(defaults("ceph")["ceph_packages"]) <= plain
    assert "ceph-mgr" in listed("+recommends")
    # never preinstalled: preseeded (slapd), per-host keys (openssh-server),
    # from another suite (apptainer)
    assert not plain & {"slapd", "openssh-server", "apptainer"}


def test_daemons_the_roles_enable_do_not_start_at_boot():
    disabled = listed("+disabled")
    assert {"slurmd", "slurmctld", "slurmdbd", "mariadb", "munge", "sssd"} <= disabled
    for unit in disabled:
        enabling = [
            p
            for p in ROOT.glob("roles/*/tasks/*.yml")
            if re.search(rf"name: {re.escape(unit)}\n(.*\n){{0,3}}?\s+enabled: true", p.read_text())
        ]
        assert enabling, f"{unit} is disabled in the image but no role enables it"
