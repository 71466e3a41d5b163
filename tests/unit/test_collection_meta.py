"""The collection's metadata says what make test tests: the pinned ansible-core,
the licence whose text is in LICENSE, no placeholder addresses."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
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


def test_the_collection_builds_with_every_plugin_in_it(tmp_path):
    """ansible-galaxy collection build, as a release would run it: the archive
    holds every module, module utility, lookup and documentation file of the
    source tree, and nothing a test run leaves behind."""
    galaxy = Path(sys.executable).with_name("ansible-galaxy")
    subprocess.run(
        [str(galaxy), "collection", "build", "--output-path", str(tmp_path), str(COLLECTION)],
        check=True,
        capture_output=True,
    )
    meta = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    (archive,) = tmp_path.glob(f"{meta['namespace']}-{meta['name']}-{meta['version']}.tar.gz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    source = {
        str(p.relative_to(COLLECTION))
        for p in (COLLECTION / "plugins").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert source and source <= names
    assert {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
