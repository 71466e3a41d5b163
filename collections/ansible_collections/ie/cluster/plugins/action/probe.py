# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.probe: a command that only reads, run as one shell command over
the task's connection (with its become), never through a module.

ansible.builtin.command starts Python and the module on the host to run one
program; for a task that only asks the host something (``ceph mgr module ls``,
``systemd-analyze calendar``, ``getent``), that start is most of the task's
time, and a re-run asks such questions on every host. This action sends the
argv, quoted, as the command line itself. It never changes anything: it
runs in check mode as well, its result is never ``changed``, and it fails as
ansible.builtin.command does when the program exits non-zero (``rc``,
``stdout``, ``stderr`` and their ``_lines``, ``cmd``, ``msg``). It takes
``argv`` only, never read as shell syntax (a glob or a pipe names the shell:
``[sh, -c, ...]``): no ``chdir``, no ``stdin``, no ``creates``.
"""

from __future__ import absolute_import, annotations, division, print_function

import shlex

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ask

__metaclass__ = type


def check_probe_arguments(args: dict) -> list:
    """The task's argv as strings; the only argument taken."""
    odd = sorted(set(args) - {"argv"})
    if odd:
        raise AnsibleActionFail(
            "ie.cluster.probe does not take %s (it takes argv only; a command that changes"
            " something is ansible.builtin.command's)" % ", ".join(odd)
        )
    argv = args.get("argv")
    if not isinstance(argv, list) or not argv:
        raise AnsibleActionFail(
            "ie.cluster.probe needs argv, a list: the program and its arguments"
        )
    if not all(isinstance(word, (str, int, float)) and not isinstance(word, bool) for word in argv):
        raise AnsibleActionFail("ie.cluster.probe's argv holds strings and numbers only")
    return [str(word) for word in argv]


def probe_command(argv: list, environment: str = "") -> str:
    """The command line: the environment's assignments, then each word quoted."""
    words = (environment.strip(), shlex.join(argv))
    return " ".join(word for word in words if word)


def probe_result(argv: list, answer: dict) -> dict:
    """ansible.builtin.command's result for the program's ``answer``."""
    stdout = answer.get("stdout", "").rstrip("\r\n")
    stderr = answer.get("stderr", "").rstrip("\r\n")
    result = {
        "changed": False,
        "cmd": argv,
        "rc": answer.get("rc"),
        "stdout": stdout,
        "stderr": stderr,
        "stdout_lines": stdout.splitlines(),
        "stderr_lines": stderr.splitlines(),
        "msg": "",
        "probed_by_shell": True,
    }
    if result["rc"] != 0:
        result.update(failed=True, msg="non-zero return code")
    return result


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        argv = check_probe_arguments(dict(self._task.args))
        command = probe_command(argv, self._compute_environment_string())
        answer = ask(self, command)
        result.update(probe_result(argv, answer))
        return result
