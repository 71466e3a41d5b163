"""The collection's metadata says what make test tests: the pinned ansible-core,
the licence whose text is in LICENSE, no placeholder addresses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections/ansible_collections/ie/cluster"


def test_requires_ansible_is_the_tested_ansible_core():
    pinned = re.search(
        r"^ansible-core==(\d+)\.(\d+)\.", (ROOT / "requirements/constraints.txt").read_text(), re.M
    )
    runtime = yaml.safe_load((COLLECTION / "meta/runtime.yml").read_text())
    assert runtime["requires_ansible"] == f">={pinned.group(1)}.{pinned.group(2)}.0"


def test_licence_declared_and_its_text_present():
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    text = (ROOT / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text


def test_no_placeholder_addresses_in_galaxy_yml():
    text = (COLLECTION / "galaxy.yml").read_text()
    assert "example.invalid" not in text and "example.com" not in text
