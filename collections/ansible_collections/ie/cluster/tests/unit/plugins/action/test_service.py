# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.service's probe (run by a shell against a stand-in systemctl
that records what it was asked), its decision and its arguments."""

from __future__ import absolute_import, annotations, division, print_function

import os
import subprocess

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import service
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import run_action

__metaclass__ = type

STARTED = {"name": "ceph-mon@gs01", "state": "started", "enabled": True}


def probe(tmp_path, name, enabled, active, enabled_rc=0, active_rc=0):
    """probe_command(name) in a shell whose systemctl answers as asked; its
    stdout, and the arguments systemctl was given."""
    fake = tmp_path / "systemctl"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {tmp_path}/asked\n'
        f'case "$1" in is-enabled) echo {enabled}; exit {enabled_rc};;'
        f" is-active) echo {active}; exit {active_rc};; esac\n"
    )
    fake.chmod(0o755)
    done = subprocess.run(  # noqa: S603 - the command under test
        ["/bin/sh", "-c", service.probe_command(name)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, (tmp_path / "asked").read_text().splitlines()


def test_the_probe_asks_both_and_quotes_the_name(tmp_path):
    out, asked = probe(tmp_path, "x; touch y", "enabled", "active")
    assert out == "enabled\nactive\n"
    assert asked == ["is-enabled -- x; touch y", "is-active -- x; touch y"]
    assert not (tmp_path / "y").exists()


def test_a_stopped_disabled_unit_answers_with_non_zero_status_and_is_still_read(tmp_path):
    out = probe(tmp_path, "x", "disabled", "inactive", enabled_rc=1, active_rc=3)[0]
    assert service.already_so({"name": "x", "state": "stopped", "enabled": False}, out)
    assert not service.already_so(STARTED, out)


@pytest.mark.parametrize(
    ("stdout", "so"),
    [
        ("enabled\nactive\n", True),
        ("disabled\nactive\n", False),
        ("enabled\ninactive\n", False),
        ("enabled\nactivating\n", False),  # the module's to wait for
        ("static\nactive\n", False),  # the module's to judge
        ("enabled-runtime\nactive\n", False),
        ("alias\nactive\n", False),
        ("enabled\n", False),
        ("", False),
        ("enabled\nactive\nextra\n", False),
    ],
)
def test_only_the_exact_answers_asked_leave_the_module_out(stdout, so):
    assert service.already_so(STARTED, stdout) is so


MASKED = {"name": "sssd-nss.socket", "state": "stopped", "enabled": False, "masked": True}


def test_a_masked_unit_is_one_systemctl_calls_masked_and_inactive():
    assert service.already_so(MASKED, "masked\ninactive\n")
    assert not service.already_so(MASKED, "disabled\ninactive\n")  # to mask
    assert not service.already_so({**MASKED, "masked": False}, "masked\ninactive\n")  # to unmask
    assert service.already_so({**MASKED, "masked": False}, "disabled\ninactive\n")
    result, _sent, module = run_action(
        service.ActionModule, {**MASKED, "masked": "yes"}, answer("masked\ninactive\n")
    )
    assert module is None and result["masked"] is True and result["checked_by_shell"] is True


def test_name_state_and_enabled_are_required_and_nothing_else_taken():
    service.check_service_arguments(STARTED)
    service.check_service_arguments({"name": "x", "state": "stopped", "enabled": False})
    service.check_service_arguments(MASKED)
    service.check_service_arguments({**STARTED, "daemon_reload": False})
    with pytest.raises(AnsibleActionFail, match="does not take scope, user"):
        service.check_service_arguments({**STARTED, "scope": "user", "user": "x"})
    with pytest.raises(AnsibleActionFail, match="daemon_reload is true or false"):
        service.check_service_arguments({**STARTED, "daemon_reload": "perhaps"})
    for odd in ({**MASKED, "state": "started"}, {**MASKED, "enabled": True}):
        with pytest.raises(AnsibleActionFail, match="masks a unit only stopped and not enabled"):
            service.check_service_arguments(odd)
    with pytest.raises(AnsibleActionFail, match="needs name"):
        service.check_service_arguments({"state": "started", "enabled": True})
    for state in ("restarted", "reloaded", None):
        with pytest.raises(AnsibleActionFail, match="state is started or stopped"):
            service.check_service_arguments({**STARTED, "state": state})
    for enabled in (None, "yes"):
        with pytest.raises(AnsibleActionFail, match="needs enabled"):
            service.check_service_arguments({**STARTED, "enabled": enabled})


def answer(stdout, rc=0):
    return {"rc": rc, "stdout": stdout, "stderr": ""}


def test_a_unit_as_asked_runs_no_module_and_a_templated_boolean_is_read():
    result, sent, module = run_action(
        service.ActionModule, {**STARTED, "enabled": "True"}, answer("enabled\nactive\n")
    )
    assert module is None and sent == [service.probe_command("ceph-mon@gs01")]
    assert result == {
        "changed": False,
        "name": "ceph-mon@gs01",
        "state": "started",
        "enabled": True,
        "checked_by_shell": True,
    }


@pytest.mark.parametrize(
    "reply", [answer("enabled\ninactive\n"), answer("disabled\nactive\n"), answer("", rc=1)]
)
def test_anything_else_runs_the_builtin_systemd_service_module_with_the_same_arguments(reply):
    result, _sent, module = run_action(service.ActionModule, STARTED, reply)
    assert module == ("ansible.legacy.systemd_service", STARTED)
    assert result["changed"] is True and "checked_by_shell" not in result


def test_daemon_reload_runs_the_module_even_for_a_unit_as_asked():
    for reload in (True, "True", "yes"):
        result, _sent, module = run_action(
            service.ActionModule, {**STARTED, "daemon_reload": reload}, answer("enabled\nactive\n")
        )
        assert module == ("ansible.legacy.systemd_service", {**STARTED, "daemon_reload": True})
        assert "checked_by_shell" not in result
    result, _sent, module = run_action(
        service.ActionModule, {**STARTED, "daemon_reload": "False"}, answer("enabled\nactive\n")
    )
    assert module is None and result["checked_by_shell"]
