"""The README fits on a few screens and links what moved to docs/; the roles
table in docs/roles.md is the generator's and names every role (issue 25)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "docs"))

import roles_table  # noqa: E402


def test_the_readme_is_short_and_every_link_resolves():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 8 * 1024
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert "docs/roles.md" in links and "docs/testing.md" in links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_the_roles_table_is_the_generators_and_names_every_role():
    assert roles_table.main(["--check"]) == 0
    doc = (ROOT / "docs" / "roles.md").read_text()
    named = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.M))
    roles = {p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir()}
    assert named == roles


def test_the_generator_sees_a_changed_spec(tmp_path, monkeypatch):
    """A stale table is found: the check fails when a row would change, and
    the generator rewrites only the table."""
    copy = tmp_path / "roles.md"
    copy.write_text((ROOT / "docs" / "roles.md").read_text())
    monkeypatch.setattr(roles_table, "DOC", copy)
    assert roles_table.main(["--check"]) == 0
    rows = roles_table.rows()
    changed = [*rows[:2], rows[2].replace("|", "| x", 1), *rows[3:]]
    monkeypatch.setattr(roles_table, "rows", lambda: changed)
    assert roles_table.main(["--check"]) == 1
    assert roles_table.main([]) == 0
    text = copy.read_text()
    assert "| x `" in text and text.endswith((ROOT / "docs" / "roles.md").read_text()[-200:])


def test_every_role_scenario_and_site_are_listed_as_testers():
    rows = roles_table.rows()
    ceph = next(r for r in rows if r.startswith("| `ceph_mon` |"))
    assert "`molecule/ceph`" in ceph and "`molecule/site`" in ceph
    program = next(r for r in rows if r.startswith("| `ie_program` |"))
    assert "`molecule/site`" in program  # included by ie_podman, not named in playbooks/
    # a role whose own scenario is molecule/site is listed with it once
    templates = next(r for r in rows if r.startswith("| `slurm_templates` |"))
    assert templates.count("`molecule/site`") == 1
