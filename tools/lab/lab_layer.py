#!/usr/bin/env python3
"""The lab layer against the table of lab differences.

The lab is production's inventory with a layer read after it
(`-i inventories/production -i inventories/lab`; molecule/site reads its
own topology with the same layer). Every variable the layer sets must be a
row of the table "The lab: production plus these differences" in
docs/admin-guide.md, and every row must still be set somewhere in the layer,
the lab-only directory server's (ldap01, group ldap_servers) included. The
lab vault's keys count as one entry, `vault_*`.

    python3 tools/lab/lab_layer.py     # prints the problems; exit 1 if any

tests/inventory/test_lab_layer.py runs the same check in `make test`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GUIDE = Path("docs/admin-guide.md")
SECTION = "## The lab: production plus these differences"
LAB = Path("inventories/lab")
# The layer's inventory files besides inventories/lab: molecule/site's topology
# and the node its side effect adds.
SCENARIO_FILES = (Path("molecule/site/inventory/hosts.yml"), Path("molecule/site/add-node.yml"))
VAULT = "vault_*"


@dataclass
class Layer:
    """What the layer sets: variable -> the files that set it."""

    places: dict[str, set[str]] = field(default_factory=dict)

    def add(self, name: str, where: Path) -> None:
        key = VAULT if name.startswith("vault_") else name
        self.places.setdefault(key, set()).add(str(where))


def walk(group: str, node: dict | None) -> Iterator[tuple[str, str, dict]]:
    """``(kind, name, vars)`` of each group and host of a YAML inventory."""
    node = node or {}
    yield "group", group, node.get("vars") or {}
    for host, hvars in (node.get("hosts") or {}).items():
        yield "host", host, hvars or {}
    for child, sub in (node.get("children") or {}).items():
        yield from walk(child, sub)


def read_vars(path: Path) -> dict:
    text = path.read_text()
    if text.startswith("$ANSIBLE_VAULT"):
        # An encrypted file is the lab vault: its keys are vault_* (the
        # inventory test checks that they are production's).
        return {VAULT: None}
    return yaml.safe_load(text) or {}


def vars_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """``(entity, file)`` of a group_vars or host_vars directory."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            for sub in sorted(path.glob("*.y*ml")):
                yield path.name, sub
        elif path.suffix in (".yml", ".yaml"):
            yield path.stem, path


def layer(root: Path) -> Layer:
    """Every variable the lab layer sets, lab-only groups and hosts included."""
    found = Layer()
    for kind in ("group_vars", "host_vars"):
        for _, path in vars_files(root / LAB / kind):
            for name in read_vars(path):
                found.add(name, path.relative_to(root))
    inventories = sorted(p for p in (root / LAB).glob("*.y*ml")) + [
        root / p for p in SCENARIO_FILES
    ]
    for path in inventories:
        if not path.exists():
            continue
        doc = yaml.safe_load(path.read_text()) or {}
        for _, _, entity_vars in walk("all", doc.get("all")):
            for var in entity_vars:
                found.add(var, path.relative_to(root))
    return found


def documented(guide_text: str) -> set[str]:
    """The variables named in the first column of the table of differences."""
    if SECTION not in guide_text:
        raise SystemExit(f"{GUIDE}: no section {SECTION!r}")
    section = guide_text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and not set(cells[0]) <= set("-: "):
            names.update(re.findall(r"`([^`]+)`", cells[0]))
    return names


def problems(found: Layer, table: set[str]) -> list[str]:
    """An undocumented variable of the layer, or a row it no longer sets."""
    out = [
        f"{name} is set in {', '.join(sorted(where))}"
        f" but is not in the table of lab differences ({GUIDE})"
        for name, where in sorted(found.places.items())
        if name not in table
    ]
    out += [
        f"the table of lab differences ({GUIDE}) lists {name}, which the lab layer does not set"
        for name in sorted(table - set(found.places))
    ]
    return out


def check(root: Path = ROOT) -> list[str]:
    return problems(layer(root), documented((root / GUIDE).read_text()))


def main() -> int:
    found = check()
    for line in found:
        print(line)
    if not found:
        print(
            f"the lab layer sets only documented differences ({len(layer(ROOT).places)} variables)"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
