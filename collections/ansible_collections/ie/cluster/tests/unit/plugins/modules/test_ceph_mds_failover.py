# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_mds_failover against a fake FS map (the shape of Ceph 18's ``ceph fs dump``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.ie.cluster.plugins.module_utils import ceph as ceph_utils
from ansible_collections.ie.cluster.plugins.modules import ceph_mds_failover
from ansible_collections.ie.cluster.tests.unit.plugins.modules.ceph_fake import BASE
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import run_module


def daemon(gid, name, rank, state):
    return {"gid": gid, "name": name, "rank": rank, "incarnation": 3, "state": state}


def fs_map(active, standbys=(), followers=(), fs_name="cephfs"):
    """One file system, rank 0 held by ``active`` (name, state) or by nobody."""
    info, up = {}, {}
    if active:
        info["gid_101"] = daemon(101, active[0], 0, active[1])
        up["mds_0"] = 101
    for i, name in enumerate(followers):
        info["gid_%d" % (201 + i)] = daemon(201 + i, name, 0, "up:standby-replay")
    return {
        "epoch": 7,
        "standbys": [daemon(301 + i, name, -1, "up:standby") for i, name in enumerate(standbys)],
        "filesystems": [
            {
                "id": 1,
                "mdsmap": {
                    "fs_name": fs_name,
                    "max_mds": 1,
                    "in": [0],
                    "up": up,
                    "failed": [],
                    "info": info,
                },
            }
        ],
    }


class FakeMon(object):
    """``ceph fs dump`` answers from a list of maps (the last one repeats);
    ``ceph mds fail`` is recorded and moves to the maps that follow it."""

    def __init__(self, before, after=()):
        self.maps = [before]
        self.after = list(after)
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append(argv[len(BASE) :])
        assert argv[: len(BASE)] == BASE, argv
        args = argv[len(BASE) :]
        if args == ["fs", "dump", "--format", "json"]:
            current = self.maps.pop(0) if len(self.maps) > 1 else self.maps[0]
            return 0, json.dumps(current), ""
        if args[:2] == ["mds", "fail"]:
            self.maps = self.after or self.maps
            return 0, "", "failed mds gid 101"
        raise AssertionError("unexpected ceph call %r" % (args,))

    def failed(self):
        return [c for c in self.calls if c[:2] == ["mds", "fail"]]


def run(monkeypatch, capsys, fake, **params):
    monkeypatch.setattr(ceph_utils.time, "sleep", lambda s: None)
    params.setdefault("interval", 1)
    return run_module(ceph_mds_failover.main, monkeypatch, fake, capsys, **params)


def test_the_active_one_is_failed_over_and_waited_for(monkeypatch, capsys):
    fake = FakeMon(
        fs_map(("gs02", "up:active"), standbys=["gs01"]),
        after=[
            fs_map(None, standbys=[]),  # no rank holder for a moment
            fs_map(("gs01", "up:reconnect"), standbys=[]),
            fs_map(("gs01", "up:active"), standbys=["gs02"]),
        ],
    )
    result = run(monkeypatch, capsys, fake, name="gs02", timeout=60)
    assert result["changed"] is True and result["ranks"] == ["cephfs:0"]
    assert result["active"] == {"cephfs:0": "gs01"}
    assert fake.failed() == [["mds", "fail", "gs02"]]
    # the map was read until rank 0 was active again: before, 3 after
    assert len(fake.calls) == 5


def test_a_standby_is_left_alone(monkeypatch, capsys):
    fake = FakeMon(fs_map(("gs01", "up:active"), standbys=["gs02"]))
    result = run(monkeypatch, capsys, fake, name="gs02")
    assert result["changed"] is False and result["ranks"] == []
    assert fake.failed() == []


def test_a_standby_replay_follower_is_left_alone(monkeypatch, capsys):
    fake = FakeMon(fs_map(("gs01", "up:active"), followers=["gs02"]))
    result = run(monkeypatch, capsys, fake, name="gs02")
    assert result["changed"] is False and fake.failed() == []


def test_check_mode_says_it_would_change_and_fails_nothing_over(monkeypatch, capsys):
    fake = FakeMon(fs_map(("gs02", "up:active"), standbys=["gs01"]))
    result = run(monkeypatch, capsys, fake, name="gs02", check_mode=True)
    assert result["changed"] is True and result["ranks"] == ["cephfs:0"]
    assert fake.failed() == []


def test_without_a_standby_it_fails_before_changing(monkeypatch, capsys):
    fake = FakeMon(fs_map(("gs02", "up:active"), standbys=["gs02"]))
    result = run(monkeypatch, capsys, fake, name="gs02")
    assert result["failed"] is True
    assert "no standby could take it over" in result["msg"] and "cephfs:0" in result["msg"]
    assert fake.failed() == []


def test_a_follower_of_the_rank_can_take_over(monkeypatch, capsys):
    fake = FakeMon(
        fs_map(("gs02", "up:active"), followers=["gs01"]),
        after=[fs_map(("gs01", "up:active"), standbys=["gs02"])],
    )
    result = run(monkeypatch, capsys, fake, name="gs02")
    assert result["changed"] is True and fake.failed() == [["mds", "fail", "gs02"]]


def test_a_rank_held_on_the_way_to_active_counts(monkeypatch, capsys):
    fake = FakeMon(
        fs_map(("gs02", "up:rejoin"), standbys=["gs01"]),
        after=[fs_map(("gs01", "up:active"), standbys=["gs02"])],
    )
    result = run(monkeypatch, capsys, fake, name="gs02")
    assert result["ranks"] == ["cephfs:0"] and result["changed"] is True


def test_the_same_daemon_active_again_is_not_success_and_times_out(monkeypatch, capsys):
    # (the mons gave the rank back to it: nothing was handed over)
    fake = FakeMon(
        fs_map(("gs02", "up:active"), standbys=["gs01"]),
        after=[fs_map(("gs02", "up:active"), standbys=["gs01"])],
    )
    result = run(monkeypatch, capsys, fake, name="gs02", timeout=0)
    assert result["failed"] is True
    assert "cephfs:0 not active on another daemon" in result["msg"]
    assert "cephfs:0 gs02 up:active" in result["msg"]


def test_helpers_on_two_file_systems():
    dump = fs_map(("gs02", "up:active"), standbys=["gs01"])
    other = fs_map(("gs01", "up:active"), fs_name="scratch")["filesystems"][0]
    dump["filesystems"].append(other)
    assert ceph_mds_failover.ranks_held(dump, "gs02") == ["cephfs:0"]
    assert ceph_mds_failover.ranks_held(dump, "gs01") == ["scratch:0"]
    # only the file systems the daemon held are waited for
    assert ceph_mds_failover.active_elsewhere(dump, "gs02", ["scratch:0"]) == {"scratch:0": "gs01"}
    assert ceph_mds_failover.active_elsewhere(dump, "gs02", ["cephfs:0"]) is None
    assert ceph_mds_failover.active_elsewhere(dump, "gs02", ["gone:0"]) is None
