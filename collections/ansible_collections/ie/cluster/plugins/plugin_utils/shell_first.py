# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of ie.cluster's packages, file and service actions: one shell
command asked first, a builtin module only when something is to change.

A re-run asks every task whether there is anything to do, and most of the
time there is not. A builtin module answers that by starting Python and the
module on the host; one shell command over the task's connection (with its
become) answers it for a fraction of that. Each action says what to ask
(``probe``), what the answer means (``unchanged``: the task's result when
nothing is to change, else None) and which builtin module does the work
otherwise, with which arguments; the builtin module then does it, check mode
and diff included.

Every such command is sent by ``ask``: with its become, reading nothing,
and with some data so that no terminal is given to it (see ``ask``).
"""

from __future__ import absolute_import, annotations, division, print_function

from ansible.plugins.action import ActionBase

__metaclass__ = type


def quiet(command: str) -> str:
    """``command`` with its stdin, and the stdin of all it starts, /dev/null."""
    return f"exec </dev/null; {command}"


def ask(action: ActionBase, command: str) -> dict:
    """The answer (``rc``, ``stdout``, ``stderr``) to one shell ``command``
    run on the action's host over its connection, with the task's become.

    Some data is sent with the command: Ansible's SSH connection gives a
    command sent without data a terminal (``ssh -tt``, its ``use_tty``),
    and a terminal would merge the command's stderr into its stdout and end
    every line with a carriage return. The command itself reads /dev/null
    (``quiet``), so the data is never read as input."""
    return action._low_level_execute_command(quiet(command), sudoable=True, in_data=b"\n")


class ShellFirst(ActionBase):
    TRANSFERS_FILES = False
    BUILTIN = ""  # the module that does the work: "ansible.builtin.apt", ...

    def arguments(self) -> dict:
        """The task's arguments, checked (raise AnsibleActionFail when wrong)."""
        raise NotImplementedError

    def probe(self, args: dict) -> str:
        """The one shell command to ask."""
        raise NotImplementedError

    def unchanged(self, args: dict, rc: int, stdout: str) -> dict | None:
        """The result when the answer shows nothing to change, else None."""
        raise NotImplementedError

    def module_arguments(self, args: dict) -> dict:
        """The builtin module's arguments for the same request."""
        return args

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.arguments()
        answer = ask(self, self.probe(args))
        done = self.unchanged(args, answer.get("rc"), answer.get("stdout", ""))
        if done is not None:
            result.update(done)
            return result
        result.update(
            self._execute_module(
                module_name=self.BUILTIN,
                module_args=self.module_arguments(args),
                task_vars=task_vars,
            )
        )
        return result


class ReadsPath(ShellFirst):
    """A ShellFirst action whose one shell command reads the task's ``path``.
    Its module gives four functions, as static methods: probe_command(path),
    parse_probe(stdout) (None when not understood), already_so(args, status)
    and unchanged_result(args, status)."""

    probe_command = parse_probe = already_so = unchanged_result = None

    def probe(self, args):
        return self.probe_command(args["path"])

    def unchanged(self, args, rc, stdout):
        status = self.parse_probe(stdout) if rc == 0 else None
        return self.unchanged_result(args, status) if self.already_so(args, status) else None
