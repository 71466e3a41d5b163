"""Who may log in, how fast failed logins may repeat, and when a session ends."""

from __future__ import annotations

import grp
import os
import pwd

from ie_console import accounts, registry


def test_membership_comes_from_nss():
    me = pwd.getpwuid(os.getuid())
    mine = grp.getgrgid(me.pw_gid).gr_name
    assert accounts.lookup(me.pw_name, mine, "no-such-group") == accounts.Account(
        me.pw_name, me.pw_uid, "student"
    )
    assert accounts.lookup(me.pw_name, mine, mine).role == "admin"  # admins first
    assert accounts.lookup(me.pw_name, "no-such-group", "no-such-group-either") is None
    assert accounts.lookup("no-such-user-here", mine, mine) is None


def test_failed_logins_wait_longer_and_longer_then_are_forgotten():
    slow = accounts.Throttle(free=3, first=2, most=10, forget=100)
    for t in range(3):
        assert slow.wait("user:s1", now=t) == 0
        slow.failed("user:s1", now=t)
    assert slow.wait("user:s1", now=2) == 2  # the 4th try: 2 s after the 3rd failure
    slow.failed("user:s1", now=4)
    assert slow.wait("user:s1", now=4) == 4  # then 4 s
    slow.failed("user:s1", now=8)
    slow.failed("user:s1", now=16)
    assert slow.wait("user:s1", now=16) == 10  # at most 10
    assert slow.wait("user:s2", now=16) == 0  # per key
    assert slow.wait("user:s1", now=200) == 0  # forgotten after 100 s without failures
    slow.failed("user:s3", now=0)
    slow.succeeded("user:s3")
    assert slow.wait("user:s3", now=0) == 0


class Agent:
    def __init__(self):
        self.alive = True

    def close(self):
        self.alive = False


def test_a_session_ends_when_idle_or_too_old_and_its_agent_with_it():
    sessions = registry.Sessions(idle=10, lifetime=30)
    account = accounts.Account("student1", 2001, "student")
    idle, busy = Agent(), Agent()
    a = sessions.create(account, idle, now=0)
    b = sessions.create(account, busy, now=0)
    assert a != b and len(sessions) == 2
    for t in (5, 14, 23):
        assert sessions.get(b, now=t).agent is busy  # seen every 9 s
    assert sessions.get(a, now=11) is None and idle.alive is False  # idle 11 s > 10
    assert sessions.get(b, now=31) is None and busy.alive is False  # 31 s after login > 30
    assert len(sessions) == 0


def test_reap_ends_the_expired_sessions_only():
    sessions = registry.Sessions(idle=10, lifetime=30)
    account = accounts.Account("student1", 2001, "student")
    old, new = Agent(), Agent()
    sessions.create(account, old, now=0)
    kept = sessions.create(account, new, now=5)
    assert sessions.reap(now=12) == 1 and old.alive is False and new.alive is True
    assert sessions.get(kept, now=12).agent is new


def test_unknown_or_malformed_ids_are_no_session():
    sessions = registry.Sessions()
    assert sessions.get(None) is None and sessions.get(["x"]) is None
    assert sessions.get("guessed") is None
    sessions.end("guessed")  # nothing to end, no error


def test_a_session_whose_agent_died_is_over():
    sessions = registry.Sessions()
    agent = Agent()
    sid = sessions.create(accounts.Account("student1", 2001, "student"), agent)
    agent.alive = False
    assert sessions.get(sid) is None


def test_the_service_reads_its_settings_and_the_key_from_its_files(tmp_path, monkeypatch):
    import json

    import pytest

    from ie_console import wsgi

    key = tmp_path / "key"
    key.write_text("k" * 40 + "\n")
    config = tmp_path / "ie-console.json"
    config.write_text(
        json.dumps({"students_group": "students", "idle_seconds": 600, "secret_key_file": str(key)})
    )
    monkeypatch.setenv("IE_CONSOLE_CONFIG", str(config))
    application = wsgi.load()
    assert application.config["SECRET_KEY"] == "k" * 40
    assert application.config["IE_CONSOLE_IDLE"] == 600
    key.write_text("short")
    with pytest.raises(ValueError, match="at least 32"):
        wsgi.load()
    config.write_text(json.dumps({"secret_key": "inline", "secret_key_file": str(key)}))
    with pytest.raises(ValueError, match="unknown settings secret_key"):
        wsgi.load()


def test_made_up_login_names_do_not_fill_memory():
    slow = accounts.Throttle(forget=100)
    slow.keep = 50
    for i in range(200):
        slow.failed(f"user:made-up-{i}", now=i * 10)
    assert len(slow._failures) <= 50
    slow.failed("user:s1", now=2000)
    assert slow._failures["user:s1"][0] == 1
