# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible_collections.ie.cluster.plugins.module_utils.runner import CommandRunner


class FailJson(Exception):
    def __init__(self, kwargs):
        super(FailJson, self).__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule(object):
    """Just enough of AnsibleModule: records every argv it is asked to run."""

    def __init__(self, check_mode=False, replies=None, bins=None):
        self.check_mode = check_mode
        self.calls = []
        self.replies = list(replies or [])
        self.bins = bins if bins is not None else {"ceph": "/usr/bin/ceph"}

    def get_bin_path(self, name, required=False):
        path = self.bins.get(name)
        if path is None and required:
            self.fail_json(msg="Failed to find required executable %s" % name)
        return path

    def run_command(self, argv, data=None, binary_data=False, environ_update=None):
        self.calls.append({"argv": argv, "data": data, "env": environ_update})
        return self.replies.pop(0) if self.replies else (0, "", "")

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


def test_argv_is_executable_base_args_then_args_as_strings():
    module = FakeModule()
    runner = CommandRunner(module, "ceph", base_args=["--cluster", "ceph"])
    runner.run(["osd", "pool", "set", "rbd", "size", 3])
    assert module.calls[0]["argv"] == [
        "/usr/bin/ceph",
        "--cluster",
        "ceph",
        "osd",
        "pool",
        "set",
        "rbd",
        "size",
        "3",
    ]


def test_a_string_command_is_refused_before_anything_runs():
    module = FakeModule()
    runner = CommandRunner(module, "ceph")
    with pytest.raises(TypeError, match="argv list"):
        runner.run("health; rm -rf /")
    assert module.calls == []


@pytest.mark.parametrize("bad", [None, True, {"a": 1}, ["x"]])
def test_non_scalar_arguments_are_refused(bad):
    module = FakeModule()
    runner = CommandRunner(module, "ceph")
    with pytest.raises(TypeError):
        runner.run(["config", "set", bad])
    assert module.calls == []


def test_shell_metacharacters_reach_the_command_as_one_literal_argument():
    module = FakeModule()
    CommandRunner(module, "ceph").run(["auth", "get", "client.$(id)"])
    assert module.calls[0]["argv"][-1] == "client.$(id)"


def test_missing_executable_fails_with_its_name():
    module = FakeModule(bins={})
    with pytest.raises(FailJson, match="ceph"):
        CommandRunner(module, "ceph")


def test_mutating_command_is_not_run_in_check_mode():
    module = FakeModule(check_mode=True)
    result = CommandRunner(module, "ceph").run(["osd", "pool", "create", "x"], mutating=True)
    assert module.calls == []
    assert result.ran is False
    assert result.ok


def test_read_only_command_runs_in_check_mode():
    module = FakeModule(check_mode=True, replies=[(0, "HEALTH_OK\n", "")])
    result = CommandRunner(module, "ceph").run(["health"])
    assert result.ran is True
    assert result.stdout == "HEALTH_OK\n"
    assert len(module.calls) == 1


def test_failure_ends_the_module_with_argv_rc_and_output():
    module = FakeModule(replies=[(22, "", "Error EINVAL: bad pool")])
    runner = CommandRunner(module, "ceph")
    with pytest.raises(FailJson) as err:
        runner.run(["osd", "pool", "get", "nope", "size"])
    kwargs = err.value.kwargs
    assert kwargs["rc"] == 22
    assert kwargs["stderr"] == "Error EINVAL: bad pool"
    assert kwargs["cmd"] == ["/usr/bin/ceph", "osd", "pool", "get", "nope", "size"]
    assert "rc=22" in kwargs["msg"]


def test_check_rc_false_returns_the_failure_to_the_caller():
    module = FakeModule(replies=[(2, "", "ENOENT")])
    result = CommandRunner(module, "ceph").run(["auth", "get", "client.x"], check_rc=False)
    assert not result.ok
    assert result.rc == 2


def test_run_json_parses_stdout():
    module = FakeModule(replies=[(0, '{"health": {"status": "HEALTH_OK"}}', "")])
    data = CommandRunner(module, "ceph").run_json(["status", "--format", "json"])
    assert data == {"health": {"status": "HEALTH_OK"}}


def test_run_json_fails_clearly_on_non_json():
    module = FakeModule(replies=[(0, "not json", "")])
    with pytest.raises(FailJson, match="did not print JSON"):
        CommandRunner(module, "ceph").run_json(["status"])


def test_stdin_data_and_environment_are_passed_through():
    module = FakeModule()
    runner = CommandRunner(module, "ceph", environ_update={"CEPH_ARGS": "--id admin"})
    runner.run(["auth", "import", "-i", "-"], mutating=True, data="[client.x]\n")
    call = module.calls[0]
    assert call["data"] == "[client.x]\n"
    assert call["env"] == {"CEPH_ARGS": "--id admin"}


def test_history_records_every_command_including_skipped_ones():
    module = FakeModule(check_mode=True)
    runner = CommandRunner(module, "ceph")
    runner.run(["health"])
    runner.run(["osd", "out", "0"], mutating=True)
    assert [r.ran for r in runner.history] == [True, False]
