"""Every role and playbook task that ie.cluster's shell-first actions can do
uses them (collections/.../plugin_utils/shell_first.py), and every command
that only reads (marked unchanged) is ie.cluster.probe: a re-run then asks
one shell command where the builtin module would start Python on every
host (docs/roles.md). A new task written with the builtin module would
quietly make every re-run slower; this test names it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action.blockinfile import check_blockinfile_arguments
from ansible_collections.ie.cluster.plugins.action.lineinfile import check_lineinfile_arguments
from ansible_collections.ie.cluster.plugins.action.probe import check_probe_arguments

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ("ansible.builtin.systemd_service", "ansible.builtin.service", "ansible.builtin.systemd")
COMMAND = ("ansible.builtin.command", "ansible.builtin.shell")
# Commands marked unchanged that are not only reads, by task name: why.
NOT_ONLY_READS = {
    "Ask a running quorum for its monmap": "writes the monmap to a file (mon getmap -o)",
}


def tasks(items):
    """Every task of a task list, a play list or a block, depth first."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        for section in (
            "pre_tasks",
            "tasks",
            "post_tasks",
            "handlers",
            "block",
            "rescue",
            "always",
        ):
            yield from tasks(item.get(section))


def takes(check, args: dict) -> bool:
    """Does the action's own argument ``check`` take ``args``?"""
    try:
        check(args)
    except AnsibleActionFail:
        return False
    return True


def probe_takes(task: dict, module: str) -> bool:
    """Does ie.cluster.probe take what the command task asks besides its
    words (its command's own arguments and the task's ``args``: stdin,
    chdir, creates, ...)?"""
    asked = {}
    for args in (task.get(module), task.get("args")):
        if isinstance(args, dict):
            asked.update(args)
    others = {k: v for k, v in asked.items() if k not in ("argv", "cmd", "_raw_params")}
    return takes(check_probe_arguments, {"argv": ["true"], **others})


def instead(task: dict) -> str | None:
    """The ie.cluster action the task should use, or None."""
    for module in ("copy", "template"):
        if f"ansible.builtin.{module}" in task:
            return f"ie.cluster.{module}"
    args = task.get("ansible.builtin.file")
    if isinstance(args, dict):
        state = args.get("state", "file")
        if state == "absent" and set(args) <= {"path", "state"}:
            return "ie.cluster.file"
        if state in ("directory", "file") and set(args) == {
            "path",
            "state",
            "owner",
            "group",
            "mode",
        }:
            return "ie.cluster.file"
    args = task.get("ansible.builtin.lineinfile")
    if isinstance(args, dict) and takes(check_lineinfile_arguments, args):
        return "ie.cluster.lineinfile"
    args = task.get("ansible.builtin.blockinfile")
    if isinstance(args, dict) and takes(check_blockinfile_arguments, args):
        return "ie.cluster.blockinfile"
    for module in SERVICE:
        args = task.get(module)
        if (
            isinstance(args, dict)
            and set(args) - {"masked", "daemon_reload"} == {"name", "state", "enabled"}
            and args["state"] in ("started", "stopped")
            and isinstance(args["enabled"], bool)
            and args.get("daemon_reload") is not True
        ):
            return "ie.cluster.service"
    for module in COMMAND:
        if (
            module in task
            and task.get("changed_when") is False
            and task.get("name") not in NOT_ONLY_READS
            and probe_takes(task, module)
        ):
            return "ie.cluster.probe"
    return None


def offenders(paths) -> list[str]:
    found = []
    for path in paths:
        for task in tasks(yaml.safe_load(path.read_text())):
            better = instead(task)
            if better:
                found.append(f"{path.relative_to(ROOT)}: {task.get('name')!r} -> {better}")
    return found


def test_the_roles_and_playbooks_use_the_shell_first_actions():
    paths = sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("roles/*/handlers/*.yml"))
    paths += [*sorted(ROOT.glob("playbooks/**/*.yml")), ROOT / "site.yml"]
    assert len(paths) > 100
    assert offenders(paths) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- ansible.builtin.copy: {content: x, dest: /x}", "ie.cluster.copy"),
        ("- ansible.builtin.template: {src: a.j2, dest: /x}", "ie.cluster.template"),
        ("- ansible.builtin.file: {path: /d, state: absent}", "ie.cluster.file"),
        (
            "- ansible.builtin.file: {path: /d, state: directory, owner: r, group: r,"
            " mode: '0755'}",
            "ie.cluster.file",
        ),
        ("- ansible.builtin.file: {path: /d, state: directory, mode: '0755'}", None),
        ("- ansible.builtin.file: {src: /a, dest: /b, state: link}", None),
        (
            "- block: [{ansible.builtin.service: {name: ssh, state: started, enabled: true}}]",
            "ie.cluster.service",
        ),
        (
            "- ansible.builtin.systemd_service: {name: a, state: started, enabled: true,"
            " daemon_reload: '{{ unit is changed }}'}",
            "ie.cluster.service",
        ),
        (
            "- ansible.builtin.systemd_service: {name: a, state: started, enabled: true,"
            " daemon_reload: true}",
            None,
        ),
        (
            "- ansible.builtin.systemd_service: {name: s, state: stopped, enabled: false,"
            " masked: true}",
            "ie.cluster.service",
        ),
        ("- ansible.builtin.systemd_service: {name: s, state: restarted}", None),
        (
            "- ansible.builtin.systemd_service: {name: s, state: started, enabled: true,"
            " daemon_reload: true}",
            None,
        ),
        ("- ie.cluster.service: {name: s, state: started, enabled: true}", None),
        (
            "- ansible.builtin.lineinfile: {path: /f, regexp: '^a', line: a 1}",
            "ie.cluster.lineinfile",
        ),
        (
            "- ansible.builtin.lineinfile: {path: /f, regexp: '^a', line: a, create: true,"
            " owner: root, group: root, mode: '0644', insertafter: EOF}",
            "ie.cluster.lineinfile",
        ),
        (
            "- ansible.builtin.lineinfile: {path: /f, regexp: '^a', state: absent}",
            "ie.cluster.lineinfile",
        ),
        ("- ansible.builtin.lineinfile: {path: /f, line: a}", None),
        (
            "- ansible.builtin.blockinfile: {path: /f, block: a, owner: r, group: r, mode: '0644'}",
            "ie.cluster.blockinfile",
        ),
        ("- ansible.builtin.blockinfile: {path: /f, block: a}", None),
        (
            "- ansible.builtin.blockinfile: {path: /f, block: a, owner: r, group: r, mode: '0644',"
            " insertbefore: BOF}",
            None,
        ),
        (
            "- {ansible.builtin.command: {argv: [ceph, -s]}, changed_when: false}",
            "ie.cluster.probe",
        ),
        ("- {ansible.builtin.shell: grep -c x /f*, changed_when: false}", "ie.cluster.probe"),
        ("- {ansible.builtin.command: {cmd: ceph -s}, changed_when: false}", "ie.cluster.probe"),
        ("- {ansible.builtin.command: {argv: [ceph, -s]}, changed_when: true}", None),
        (
            "- {ansible.builtin.command: {argv: [ceph, -i, '-'], stdin: x}, changed_when: false}",
            None,
        ),
        ("- {ansible.builtin.command: ls, args: {chdir: /d}, changed_when: false}", None),
        ("- {ansible.builtin.shell: ls, args: {executable: /bin/bash}, changed_when: false}", None),
        ("- {ansible.builtin.command: {argv: [ceph, -s]}, changed_when: rc == 0}", None),
        (
            "- {name: Ask a running quorum for its monmap, ansible.builtin.command: x,"
            " changed_when: false}",
            None,
        ),
        ("- ansible.builtin.lineinfile: {path: /f, regexp: '^a', line: a, backrefs: true}", None),
        (
            "- ansible.builtin.lineinfile: {path: /f, regexp: '^a', line: a, insertafter: '^b'}",
            None,
        ),
    ],
)
def test_a_task_the_actions_can_do_is_named(text, expected):
    found = [instead(task) for task in tasks(yaml.safe_load(text))]
    assert [f for f in found if f] == ([expected] if expected else [])
