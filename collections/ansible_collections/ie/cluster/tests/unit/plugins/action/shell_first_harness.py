# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of ie.cluster's shell-first actions (plugin_utils/shell_first.py)
with the host's answer given: what it returned, the shell commands it sent
and the builtin module it ran (name and arguments), if any. Every command
must be sent as shell_first.ask sends it: with the task's become, reading
/dev/null, and with data (so that SSH gives it no terminal)."""

from __future__ import absolute_import, annotations, division, print_function

import json
import subprocess
import sys
from unittest import mock

from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import quiet

__metaclass__ = type


def run_action(action_class, args: dict, answer: dict, check_mode=False, environment=""):
    """(result, commands sent (each without quiet's prefix), (module,
    arguments) run or None). The task's environment is ``environment`` (the
    shell's assignments)."""
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    context = PlayContext()
    context.check_mode = check_mode
    action = action_class(
        task,
        mock.MagicMock(),
        context,
        loader=None,
        templar=Templar(loader=None),
        shared_loader_obj=None,
    )
    sent, modules = [], []

    prefix = quiet("")

    def low_level(cmd, sudoable=True, in_data=None, **kwargs):
        assert sudoable  # asked with the task's become
        assert in_data == b"\n"  # no terminal
        assert cmd.startswith(prefix)  # reading nothing
        sent.append(cmd[len(prefix) :])
        return answer

    def execute_module(module_name, module_args, task_vars):
        modules.append((module_name, module_args))
        return {"changed": True, "cache_updated": False}

    with (
        mock.patch.object(action, "_low_level_execute_command", side_effect=low_level),
        mock.patch.object(action, "_execute_module", side_effect=execute_module),
        mock.patch.object(action, "_compute_environment_string", return_value=environment),
    ):
        result = action.run(task_vars={})
    return result, sent, (modules[0] if modules else None)


def shell(command: str) -> str:
    """A probe's ``command`` run by /bin/sh here, as the host's shell runs it;
    its stdout (it must exit 0)."""
    done = subprocess.run(  # noqa: S603 - the command under test
        ["/bin/sh", "-c", command], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def builtin_changes(module: str, path, args: dict) -> bool:
    """ansible.builtin.``module``'s own answer for the file ``path`` (a
    pathlib.Path here), run in check mode as the host would run it: would it
    change the file? The oracle for an action's decision."""
    arguments = path.parent / "module-arguments.json"
    arguments.write_text(
        json.dumps(
            {"ANSIBLE_MODULE_ARGS": {**args, "path": str(path), "_ansible_check_mode": True}}
        )
    )
    done = subprocess.run(  # noqa: S603 - the builtin module, as the host would run it
        [sys.executable, "-m", f"ansible.modules.{module}", str(arguments)],
        capture_output=True,
        text=True,
        check=False,
    )
    result = json.loads(done.stdout)
    assert not result.get("failed"), result
    return result["changed"]
