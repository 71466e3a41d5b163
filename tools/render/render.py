#!/usr/bin/env python3
"""Render every template of every role with production's inventory.

Builds a playbook from site.yml's own plays (their hosts, their vars, their
roles with the roles' vars) in which each role is imported with `when:
false` - its defaults and vars, none of its tasks - and each of its
templates is rendered on the control node (a template lookup) into
OUT/<host>/<role>/<file>.
Ansible fails on an undefined variable, so a variable that only the lab
sets, or one production's inventory lacks, stops it.

A template that a role renders in a loop is rendered once per item of that
loop, evaluated on the host (LOOPS); the host's facts are production's
stand-ins (FACTS: Debian trixie on x86_64, the seeds' servers).

    render.py OUT [ansible-playbook arguments...]

tools/render/check.sh runs it with production's inventory and
tools/render/example-vault.yml, then validates each file with its own tool.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Templates a role renders once per item of a loop: (role, template) ->
# (loop expression, loop variable, a file name per item).
LOOPS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("base", "extra.sources.j2"): ("{{ base_apt_extra_sources }}", "item", "item.name"),
    ("rsnapshot", "ie-rsnapshot.timer.j2"): (
        "{{ rsnapshot_levels }}",
        "__rsnapshot_level",
        "__rsnapshot_level.name",
    ),
    ("registry", "config.yml.j2"): (
        "{{ [false, true] }}",
        "__registry_readonly",
        "'ro' if __registry_readonly else 'rw'",
    ),
}

# Templates this inventory does not use, and why (the loop is empty).
UNUSED = {
    "base/extra.sources.j2": "production adds no apt suite (base_apt_extra_sources is empty)",
}

# What the roles read from facts, as on production's servers.
FACTS = {
    "os_family": "Debian",
    "distribution": "Debian",
    "distribution_release": "trixie",
    "distribution_major_version": "13",
    "architecture": "x86_64",
    "processor_nproc": 88,
    "processor_vcpus": 88,
    "memtotal_mb": 515000,
    "default_ipv4": {"interface": "eno1"},
}


def plays() -> list[dict]:
    """site.yml's plays with roles, in order."""
    found = []
    for entry in yaml.safe_load((ROOT / "site.yml").read_text()):
        for play in yaml.safe_load((ROOT / entry["ansible.builtin.import_playbook"]).read_text()):
            if play.get("roles"):
                found.append(play)
    return found


def role_tasks(role: dict) -> list[dict]:
    """Import the role without its tasks, then render each of its templates
    on the control node (a lookup: no module runs) into the host's
    __render_files, ``role/file`` -> text."""
    name = role["role"]
    tasks: list[dict] = [
        {
            "name": f"{name}: its defaults and vars, none of its tasks",
            "ansible.builtin.import_role": {"name": name},
            "vars": role.get("vars", {}),
            "when": False,
        }
    ]
    vars_file = ROOT / "roles" / name / "vars" / "Debian.yml"
    if vars_file.exists():
        tasks.append(
            {
                "name": f"{name}: the Debian family's vars",
                "ansible.builtin.include_vars": str(vars_file),
            }
        )
    for tpl in sorted((ROOT / "roles" / name / "templates").glob("*.j2")):
        key = repr(f"{name}/{tpl.stem}")
        loop = LOOPS.get((name, tpl.name))
        if loop:
            key = f"{key} ~ '.' ~ ({loop[2]})"
        task = {
            "name": f"{name}: render {tpl.name}",
            "ansible.builtin.set_fact": {
                "__render_files": (
                    "{{ __render_files | default({}) | combine({"
                    f"{key}: lookup('ansible.builtin.template', {str(tpl)!r})"
                    "}) }}"
                )
            },
            "vars": role.get("vars", {}),
        }
        if loop:
            task["loop"] = loop[0]
            task["loop_control"] = {"loop_var": loop[1]}
        tasks.append(task)
    return tasks


def playbook(out: str) -> list[dict]:
    result = []
    for play in plays():
        tasks: list[dict] = []
        for role in play["roles"]:
            tasks += role_tasks(role if isinstance(role, dict) else {"role": role})
        result.append(
            {
                "name": f"Render: {play['name']}",
                "hosts": play["hosts"],
                "connection": "local",
                "gather_facts": False,
                "vars": {
                    **play.get("vars", {}),
                    "ansible_facts": FACTS,
                    "ansible_python_interpreter": sys.executable,
                },
                "tasks": tasks,
            }
        )
    result.append(
        {
            "name": "Render: hand each host's files to render.py",
            "hosts": "all",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": sys.executable},
            "tasks": [
                {
                    "name": "Write them as one JSON document",
                    "ansible.builtin.copy": {
                        "content": "{{ __render_files | default({}) | to_json }}",
                        "dest": f"{out}/{{{{ inventory_hostname }}}}.json",
                        "mode": "0600",
                    },
                }
            ],
        }
    )
    return result


def explode(out: Path) -> None:
    """OUT/<host>.json into OUT/<host>/<role>/<file>."""
    for doc in sorted(out.glob("*.json")):
        for rel, text in json.loads(doc.read_text()).items():
            path = out / doc.stem / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        doc.unlink()


def unrendered(out: Path) -> list[str]:
    """``role/template`` of each template rendered for no host. A template
    rendered per item of a loop that is empty in this inventory counts as
    rendered only where UNUSED says why."""
    done = {f"{p.parent.name}/{p.name.split('.')[0]}" for p in out.glob("*/*/*")}
    missing = []
    for play in plays():
        for role in play["roles"]:
            name = role["role"] if isinstance(role, dict) else role
            for tpl in sorted((ROOT / "roles" / name / "templates").glob("*.j2")):
                key = f"{name}/{tpl.stem.split('.')[0]}"
                if key not in done and f"{name}/{tpl.name}" not in UNUSED:
                    missing.append(f"{name}/{tpl.name}")
    return sorted(set(missing))


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit(__doc__)
    out = Path(argv[0]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "render.yml"
        book.write_text(yaml.safe_dump(playbook(str(out)), sort_keys=False))
        rc = subprocess.run(  # noqa: S603 - the venv's ansible-playbook, the caller's arguments
            [str(Path(sys.executable).parent / "ansible-playbook"), *argv[1:], str(book)], cwd=ROOT
        ).returncode
    explode(out)
    if rc == 0 and "--limit" not in argv and (missing := unrendered(out)):
        print(f"rendered for no host: {', '.join(missing)}")
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
