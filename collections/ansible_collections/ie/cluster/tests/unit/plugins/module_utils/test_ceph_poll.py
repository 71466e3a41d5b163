# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils.ceph.poll, the wait of ceph_health and ceph_mds_failover,
on a clock that moves only when it sleeps."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ie.cluster.plugins.module_utils import ceph


class Clock(object):
    def __init__(self):
        self.now = 500.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def answers(*done):
    """A probe that answers ``done`` in turn (the last one again after), with
    the call's number as its value."""
    calls = []

    def probe():
        calls.append(len(calls) + 1)
        return done[min(len(calls), len(done)) - 1], len(calls)

    return probe


def test_done_at_once_does_not_sleep(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ceph, "time", clock)
    probe = answers(True)
    assert ceph.poll(probe, timeout=60, interval=5) == (True, 1, 0.0)
    assert clock.slept == []


def test_it_sleeps_the_interval_until_done(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ceph, "time", clock)
    probe = answers(False, False, True)
    assert ceph.poll(probe, timeout=60, interval=2) == (True, 3, 4.0)
    assert clock.slept == [2, 2]


def test_settle_needs_done_for_that_long_in_a_row(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ceph, "time", clock)
    # done at 0, not at 5, done from 10: settled at 20
    probe = answers(True, False, True)
    assert ceph.poll(probe, timeout=60, interval=5, settle=10) == (True, 5, 20.0)


def test_timeout_returns_the_last_value(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ceph, "time", clock)
    probe = answers(False)
    # polls at 0, 3, 6, 9: the one at 9 is the last
    assert ceph.poll(probe, timeout=9, interval=3) == (False, 4, 9.0)


def test_timeout_counts_the_settle_time_too(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ceph, "time", clock)
    probe = answers(True, False)
    # done at 0, then never again: the wait ends at 10 + 10, the fifth call
    assert ceph.poll(probe, timeout=10, interval=5, settle=10) == (False, 5, 20.0)
