"""Every `ansible-playbook` command the admin guide and the README show is
one that works on the production inventory (issue 25, "the guides are
checked for every command they show"): its playbook exists, its options are
ansible-playbook's, each `--limit` names hosts or groups of
inventories/production, each `--tags` selects tasks of site.yml, and each
`-e NAME=...` is a variable the playbook reads.

The scenarios run the playbooks themselves (molecule/site, molecule/ceph,
molecule/slurm); this checks the words an admin copies from the guide.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "admin-guide.md", ROOT / "README.md"]
PRODUCTION = ROOT / "inventories" / "production"
# Hosts the guide adds to the inventory in its own example ("Adding a
# compute node"), so they are not in it yet.
NEW_HOSTS = {"gs05"}
ANSIBLE = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


def commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every ansible-playbook command in a shell block or
    inline code of the guides, without its comment."""
    found = []
    for guide in GUIDES:
        text = guide.read_text(encoding="utf-8")
        lines = []
        for block in re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.S):
            lines += block.replace("\\\n", " ").splitlines()
        lines += re.findall(r"`(ansible-playbook [^`]+)`", text)
        for line in lines:
            code = re.split(r"\s#\s", line)[0].strip()
            if code.startswith("ansible-playbook "):
                found.append((f"{guide.name}: {code}", shlex.split(code)))
    return found


COMMANDS = commands()


def run(*argv: str) -> str:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    done = subprocess.run(
        [str(ANSIBLE / argv[0]), *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@cache
def inventory_names() -> set[str]:
    data = json.loads(run("ansible-inventory", "-i", str(PRODUCTION), "--list"))
    return set(data["_meta"]["hostvars"]) | set(data) - {"_meta"}


@cache
def site_tags() -> set[str]:
    out = run("ansible-playbook", "-i", str(PRODUCTION), "site.yml", "--list-tags")
    return {t for found in re.findall(r"TAGS: \[([^\]]*)\]", out) for t in found.split(", ") if t}


@cache
def playbook_options() -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", run("ansible-playbook", "--help")))


def playbook_text(path: Path) -> str:
    """The playbook and the playbooks and task files it imports or includes."""
    text = path.read_text(encoding="utf-8")
    for name in re.findall(r"(?:import_playbook|include_tasks|import_tasks):\s*(\S+\.yml)", text):
        text += playbook_text(path.parent / name)
    return text


def parsed(argv: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The positional words and each option's values."""
    positional, options, i = [], {}, 1
    takes_value = {"--limit", "-l", "--tags", "-t", "--skip-tags", "-e", "--extra-vars", "-i"}
    takes_value |= {"--inventory", "--vault-id", "--vault-password-file", "-u", "--user", "-f"}
    takes_value |= {"--forks", "--start-at-task", "--become-user", "-c", "--connection"}
    while i < len(argv):
        word = argv[i]
        if word.startswith("-"):
            name, eq, value = word.partition("=")
            if name in takes_value and not eq:
                value, i = argv[i + 1], i + 1
            options.setdefault(name, []).append(value)
        else:
            positional.append(word)
        i += 1
    return positional, options


def test_the_guides_show_the_playbooks_an_admin_runs():
    shown = {Path(p).name for _w, argv in COMMANDS for p in parsed(argv)[0]}
    assert {"site.yml", "reboot.yml", "upgrade.yml", "replace-osd.yml"} <= shown, shown


def problems(argv: list[str]) -> list[str]:
    """What is wrong with one ``ansible-playbook`` command line."""
    positional, options = parsed(argv)
    if len(positional) != 1 or not (ROOT / positional[0]).is_file():
        return [f"not one playbook of the repository: {positional}"]
    playbook = ROOT / positional[0]
    found = [f"not an option of ansible-playbook: {o}" for o in set(options) - playbook_options()]
    for pattern in options.get("--limit", []) + options.get("-l", []):
        for name in re.split(r"[,:]", pattern):
            if name.lstrip("!&") not in inventory_names() | NEW_HOSTS:
                found.append(f"no host or group {name} in the production inventory")
    for tags in options.get("--tags", []) + options.get("-t", []):
        for tag in tags.split(","):
            if positional[0] != "site.yml" or tag not in site_tags():
                found.append(f"no tag {tag} in site.yml")
    for extra in options.get("-e", []) + options.get("--extra-vars", []):
        variable = extra.split("=", 1)[0]
        if not re.search(rf"\b{variable}\b", playbook_text(playbook)):
            found.append(f"{positional[0]} does not read {variable}")
    return found


@pytest.mark.parametrize(
    ("where", "argv"), COMMANDS, ids=[" ".join(w.split()) for w, _a in COMMANDS]
)
def test_each_ansible_playbook_command_works_on_the_production_inventory(where, argv):
    assert problems(argv) == [], where


@pytest.mark.parametrize(
    "line",
    [
        "ansible-playbook playbooks/restart.yml",  # no such playbook
        "ansible-playbook site.yml --limit gs09",  # no such host
        "ansible-playbook site.yml --tags sshd",  # no such tag
        "ansible-playbook site.yml --checks",  # no such option
        "ansible-playbook playbooks/reboot.yml -e reboot_only=true",  # not its variable
    ],
)
def test_a_command_that_would_not_work_is_caught(line):
    assert problems(shlex.split(line))
