# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.probe: the command line it sends (run here by /bin/sh), its
result against ansible.builtin.command's for the same argv in
ansible-playbook, its arguments, and what it sends over the connection."""

from __future__ import absolute_import, annotations, division, print_function

import shlex

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import probe
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import quiet
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import (
    run_action,
    shell,
)
from ansible_collections.ie.cluster.tests.unit.plugins.action.test_files_playbook import play

__metaclass__ = type

ODD_WORDS = ["it's", "two words", "$HOME", "a;b", "`id`", "*", "", "line\nbreak", "--", "é"]


def test_each_word_reaches_the_program_as_it_is():
    command = probe.probe_command(["printf", "[%s]\\n", *ODD_WORDS])
    assert shell(command) == "".join(f"[{word}]\n" for word in ODD_WORDS)


def test_the_tasks_environment_comes_first_and_nothing_is_read():
    command = quiet(probe.probe_command(["sh", "-c", 'echo "$IE_X"; cat'], "IE_X='a b' "))
    assert shell(f"echo from-stdin | sh -c {shlex.quote(command)}") == "a b\n"


@pytest.mark.parametrize(
    "args, message",
    [
        ({}, "needs argv"),
        ({"argv": []}, "needs argv"),
        ({"argv": "ceph -s"}, "needs argv"),
        ({"argv": ["ceph", {"a": 1}]}, "strings and numbers"),
        ({"argv": ["ceph", True]}, "strings and numbers"),
        ({"argv": ["ceph"], "chdir": "/"}, "does not take chdir"),
        ({"argv": ["ceph"], "stdin": "x", "creates": "/x"}, "does not take creates, stdin"),
        ({"_raw_params": "ceph -s"}, "does not take _raw_params"),
    ],
)
def test_arguments_it_refuses(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        probe.check_probe_arguments(args)


def test_numbers_become_words():
    assert probe.check_probe_arguments({"argv": ["head", "-n", 3, 1.5]}) == [
        "head",
        "-n",
        "3",
        "1.5",
    ]


@pytest.mark.parametrize("check_mode", [False, True])
def test_run_sends_one_command_without_a_module_in_and_out_of_check_mode(check_mode):
    answer = {"rc": 0, "stdout": "[1,2]\n\n", "stderr": "warn\n"}
    result, sent, module = run_action(
        probe.ActionModule,
        {"argv": ["ceph", "osd", "ls", "--format", "json"]},
        answer,
        check_mode=check_mode,
        environment="LANG=C",
    )
    assert sent == ["LANG=C ceph osd ls --format json"]
    assert module is None
    assert result["stdout"] == "[1,2]" and result["stderr"] == "warn"
    assert result["changed"] is False and not result.get("failed")
    assert result["cmd"] == ["ceph", "osd", "ls", "--format", "json"]


def test_a_failing_program_fails_the_task():
    result, _sent, _module = run_action(
        probe.ActionModule, {"argv": ["false"]}, {"rc": 1, "stdout": "", "stderr": "no\n"}
    )
    assert result["failed"] is True and result["msg"] == "non-zero return code"
    assert result["rc"] == 1 and result["stderr_lines"] == ["no"]


SCRIPT = "printf 'one\\ntwo\\n\\n'; printf 'err\\n' >&2; exit \"$1\""


def both(exit_status):
    """The same argv through ansible.builtin.command and ie.cluster.probe."""
    argv = ["sh", "-c", SCRIPT, "sh", str(exit_status)]
    tasks = []
    for name, module in (("builtin", "ansible.builtin.command"), ("ie", "ie.cluster.probe")):
        tasks.append(
            {
                "name": name,
                module: {"argv": argv},
                "register": f"r_{name}",
                "changed_when": False,
                "check_mode": False,
                "failed_when": False,
            }
        )
    return tasks


@pytest.mark.parametrize("exit_status", [0, 3])
@pytest.mark.parametrize("options", [(), ("--check",)])
def test_the_same_result_as_the_builtin_command(tmp_path, exit_status, options):
    results = play(tmp_path, *options, tasks=both(exit_status))
    builtin, ours = results["builtin"], results["ie"]
    assert ours["probed_by_shell"] is True
    for key in ("rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "cmd", "changed"):
        assert ours[key] == builtin[key], key
    assert ours["stdout_lines"] == ["one", "two"]
    assert ours.get("msg") == builtin.get("msg")
