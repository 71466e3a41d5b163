"""Every play of site.yml gets root through become, as production's
connection needs: Ansible logs in as the admin account ieops and becomes
root with sudo (docs/admin-guide.md, "How Ansible connects"). A play that
relied on logging in as root would work in a podman-exec lab and fail in
production; molecule/site runs the real path, this test names the play
at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def plays(playbook: Path):
    """``(file, play)`` for each play of ``playbook``, following imports."""
    for play in yaml.safe_load(playbook.read_text()) or []:
        imported = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
        if imported:
            yield from plays((playbook.parent / imported).resolve())
        else:
            yield playbook, play


def tasks(node):
    """Every task of a play or block, blocks included, depth first."""
    for section in ("pre_tasks", "tasks", "post_tasks", "handlers", "block", "rescue", "always"):
        for task in node.get(section) or []:
            yield task
            yield from tasks(task)


def without_become(playbook: Path, root: Path = ROOT) -> list[str]:
    """The plays that lack ``become: true`` and the tasks that turn it off
    (but for those delegated to the controller)."""
    found = []
    for path, play in plays(playbook):
        name = f"{path.relative_to(root)}: {play.get('name', play.get('hosts'))}"
        if play.get("become") is not True and play.get("hosts") != "localhost":
            found.append(name)
        for task in tasks(play):
            if task.get("become") is False and task.get("delegate_to") != "localhost":
                found.append(f"{name}: task {task.get('name')!r} turns become off")
    return found


def test_every_play_of_site_becomes_root():
    assert list(plays(ROOT / "site.yml")), "site.yml imports no play"
    assert without_become(ROOT / "site.yml") == []


PLAY = "- {name: p, hosts: all, become: true, tasks: [%s]}\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- {name: p, hosts: all, tasks: []}\n", ["p.yml: p"]),
        ("- {name: p, hosts: all, become: false, tasks: []}\n", ["p.yml: p"]),
        (PLAY % "{name: t, command: id, become: false}", ["p.yml: p: task 't' turns become off"]),
        (
            PLAY % "{name: t, block: [{name: u, command: id, become: false}]}",
            ["p.yml: p: task 'u' turns become off"],
        ),
        (PLAY % "{name: t, copy: {}, delegate_to: localhost, become: false}", []),
        ("- {name: p, hosts: localhost, tasks: []}\n", []),
    ],
)
def test_a_play_or_task_without_become_is_named(tmp_path, text, expected):
    (tmp_path / "p.yml").write_text(text)
    (tmp_path / "site.yml").write_text("- ansible.builtin.import_playbook: p.yml\n")
    assert without_become(tmp_path / "site.yml", tmp_path) == expected
