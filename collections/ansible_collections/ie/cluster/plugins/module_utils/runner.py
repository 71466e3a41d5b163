# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way ie.cluster modules run external commands.

Every module builds argv lists and hands them to :class:`CommandRunner`;
nothing in the collection builds shell strings. The runner

* refuses a string command (``TypeError``), so a shell never parses our input;
* resolves the executable once with ``module.get_bin_path(required=True)``,
  so a missing tool fails with its name instead of a confusing ``rc=2``;
* does not run a *mutating* command in check mode, and says it did not;
* ends the module with the argv, rc, stdout and stderr when a command fails,
  unless the caller asked to handle the return code itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class CommandResult(object):
    """What one command did. ``ran`` is False when check mode skipped it."""

    __slots__ = ("argv", "mutating", "ran", "rc", "stderr", "stdout")

    def __init__(self, argv, rc=0, stdout="", stderr="", ran=True, mutating=False):
        self.argv = argv
        self.mutating = mutating
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.ran = ran

    @property
    def ok(self):
        return self.rc == 0

    def as_dict(self):
        return {
            "cmd": list(self.argv),
            "rc": self.rc,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


class CommandRunner(object):
    """Run ``executable`` with argv lists on behalf of an AnsibleModule.

    ``base_args`` are put after the executable on every call, e.g. a Ceph
    cluster name and keyring: ``CommandRunner(module, "ceph",
    base_args=["--cluster", "ceph"])``.
    """

    def __init__(self, module, executable, base_args=None, environ_update=None):
        self.module = module
        self.executable = module.get_bin_path(executable, required=True)
        self.base_args = [self._arg(a) for a in (base_args or [])]
        self.environ_update = dict(environ_update or {})
        self.history = []

    @staticmethod
    def _arg(value):
        if isinstance(value, bool):
            raise TypeError("command arguments must not be booleans: %r" % (value,))
        if isinstance(value, (int, float, str)):
            return str(value)
        raise TypeError("command arguments must be strings or numbers, got %r" % (value,))

    def argv(self, args):
        if isinstance(args, (str, bytes)):
            raise TypeError("CommandRunner takes an argv list, not a string: %r" % (args,))
        return [self.executable] + self.base_args + [self._arg(a) for a in args]

    def run(self, args, mutating=False, check_rc=True, data=None):
        """Run one command.

        ``mutating=True`` marks a command that changes the system: in check
        mode it is not run and a result with ``ran=False`` comes back.
        ``check_rc=True`` fails the module on a non-zero exit status.
        """
        argv = self.argv(args)
        if mutating and self.module.check_mode:
            result = CommandResult(argv, ran=False, mutating=True)
            self.history.append(result)
            return result
        rc, stdout, stderr = self.module.run_command(
            argv,
            data=data,
            binary_data=data is not None,
            environ_update=self.environ_update or None,
        )
        result = CommandResult(argv, rc, stdout, stderr, mutating=mutating)
        self.history.append(result)
        if check_rc and rc != 0:
            self.module.fail_json(
                msg="command failed (rc=%d): %s" % (rc, " ".join(argv)), **result.as_dict()
            )
        return result

    def changing_commands(self):
        """The argv lists of the mutating commands run so far (or skipped in check mode)."""
        return [r.argv for r in self.history if r.mutating]

    def run_json(self, args, check_rc=True):
        """Run a read-only command whose stdout is JSON and return it parsed."""
        result = self.run(args, mutating=False, check_rc=check_rc)
        if not result.ok:
            return None
        return self.parse_json(result)

    def parse_json(self, result):
        """The JSON on ``result``'s stdout, parsed; fails the module if it is not JSON."""
        try:
            return json.loads(result.stdout or "null")
        except ValueError as exc:
            self.module.fail_json(
                msg="command did not print JSON (%s): %s" % (exc, " ".join(result.argv)),
                **result.as_dict(),
            )
