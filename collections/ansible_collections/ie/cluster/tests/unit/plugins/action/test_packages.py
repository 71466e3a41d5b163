# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.packages: apt is started only when dpkg lacks a package or the lists are old."""

from __future__ import absolute_import, annotations, division, print_function

import subprocess

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.action import packages
from ansible_collections.ie.cluster.tests.unit.plugins.action.shell_first_harness import run_action

__metaclass__ = type

NOW = 1_800_000_000


def probe_answer(lists_age: int, lines: list[str]) -> dict:
    return {
        "rc": 0,
        "stdout": "\n".join([str(NOW - lists_age), str(NOW), *lines]) + "\n",
        "stderr": "",
    }


def run(args: dict, answer: dict, check_mode: bool = False):
    """The action's result, the shell command it sent and the apt module and
    arguments it ran (or None)."""
    return run_action(packages.ActionModule, args, answer, check_mode)


def run_apt(args: dict, answer: dict):
    """Only the apt arguments the action ran (None when it answered without apt)."""
    return run(args, answer)[2]


def test_every_package_installed_is_answered_without_apt():
    result, sent, apt = run(
        {"name": ["slurmd", "slurm-client"]}, probe_answer(10, ["ii  slurmd", "ii  slurm-client"])
    )
    assert apt is None
    assert result["changed"] is False
    assert result["installed"] == ["slurmd", "slurm-client"]
    assert len(sent) == 1 and "dpkg-query" in sent[0] and "slurm-client" in sent[0]


def test_a_missing_package_runs_apt_with_the_same_request():
    result, sent, apt = run(
        {"name": ["slurmd", "slurm-client"], "install_recommends": False},
        probe_answer(10, ["ii  slurmd"]),
    )
    assert len(sent) == 1
    assert apt == (
        "ansible.builtin.apt",
        {
            "name": ["slurmd", "slurm-client"],
            "state": "present",
            "install_recommends": False,
            "update_cache": False,
        },
    )
    assert result["changed"] is True


@pytest.mark.parametrize("status", ["rc ", "iU ", "iF ", "iiR", "un "])
def test_a_package_not_installed_and_sound_is_left_to_apt(status):
    apt = run_apt({"name": ["munge"]}, probe_answer(10, [f"{status} munge"]))
    assert apt is not None


def test_held_and_multiarch_packages_count_as_installed():
    apt = run_apt({"name": ["libfoo1", "bar"]}, probe_answer(10, ["ii  libfoo1:amd64", "hi  bar"]))
    assert apt is None


def test_old_lists_are_refreshed_by_apt_and_fresh_ones_are_not():
    fresh = {"update_cache": True, "cache_valid_time": 3600}
    assert run(fresh, probe_answer(3599, []))[2] is None
    apt = run_apt(fresh, probe_answer(3601, []))
    assert apt == ("ansible.builtin.apt", {"update_cache": True, "cache_valid_time": 3600})
    # cache_valid_time 0 (the sources just changed): always refreshed
    assert run({"update_cache": True, "cache_valid_time": 0}, probe_answer(0, []))[2] is not None
    # with packages: both must hold
    apt = run_apt({"name": ["chrony"], **fresh}, probe_answer(7200, ["ii  chrony"]))
    assert apt[1]["name"] == ["chrony"] and apt[1]["update_cache"] is True


@pytest.mark.parametrize(
    "answer",
    [
        {"rc": 1, "stdout": "", "stderr": "sh: dpkg-query: not found"},
        {"rc": 0, "stdout": "garbage\n", "stderr": ""},
        {"rc": 0, "stdout": "", "stderr": ""},
    ],
)
def test_an_answer_that_cannot_be_read_leaves_it_to_apt(answer):
    assert run({"name": ["chrony"]}, answer)[2] is not None


def test_check_mode_answers_the_same_and_passes_check_mode_on():
    assert run({"name": ["chrony"]}, probe_answer(0, ["ii  chrony"]), check_mode=True)[2] is None
    assert run({"name": ["chrony"]}, probe_answer(0, []), check_mode=True)[2] is not None


@pytest.mark.parametrize(
    "name", ["slurmd=23.11", "./x.deb", "ceph*", "libc6:amd64", "foo; rm -rf /", "Slurmd", "x"]
)
def test_anything_but_a_package_name_is_refused(name):
    with pytest.raises(AnsibleActionFail, match="package name"):
        run({"name": [name]}, probe_answer(0, []))


def test_nothing_asked_is_refused():
    with pytest.raises(AnsibleActionFail, match=r"name .* or update_cache"):
        run({}, probe_answer(0, []))


def test_the_probe_reads_this_machines_dpkg():
    """The shell command as the host runs it: dpkg is installed, a made-up name is not."""
    out = subprocess.run(  # noqa: S603 - the probe's own fixed command, no input
        ["/bin/sh", "-c", packages.probe_command(["dpkg", "ie-no-such-package"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mtime, now, installed = packages.parse_probe(out)
    assert installed == {"dpkg"}
    assert 0 < mtime <= now
