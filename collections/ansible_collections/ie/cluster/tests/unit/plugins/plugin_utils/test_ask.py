# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/shell_first.py's ask: how every shell-first action and
ie.cluster.probe send their one shell command (run here by /bin/sh)."""

from __future__ import absolute_import, annotations, division, print_function

import subprocess
from unittest import mock

import pytest
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ask, quiet

__metaclass__ = type


def run(command: str) -> subprocess.CompletedProcess:
    """``command`` run by /bin/sh -c, as Ansible runs it on the host, with
    some input waiting on its stdin."""
    return subprocess.run(  # noqa: S603 - the command under test
        ["/bin/sh", "-c", command],
        input="from-stdin\n",
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        "cat",  # one program
        "echo a; cat;",  # a list ending with a separator
        "if true; then cat; fi",  # a compound command
        "sh -c cat",  # what it starts
    ],
)
def test_nothing_a_quiet_command_starts_reads_the_input(command):
    done = run(quiet(command))
    assert done.returncode == 0 and "from-stdin" not in done.stdout


def test_a_quiet_command_keeps_its_exit_status_and_its_two_streams():
    done = run(quiet("echo out; echo err >&2; exit 3"))
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")


def test_ask_sends_the_quiet_command_with_data_and_the_become():
    action = mock.MagicMock()
    action._low_level_execute_command.return_value = {"rc": 0, "stdout": "x", "stderr": ""}
    assert ask(action, "stat -c %a /etc") == {"rc": 0, "stdout": "x", "stderr": ""}
    action._low_level_execute_command.assert_called_once_with(
        quiet("stat -c %a /etc"), sudoable=True, in_data=b"\n"
    )
