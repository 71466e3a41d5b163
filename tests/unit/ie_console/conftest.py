"""The console application with stand-ins for su and the agents."""

from __future__ import annotations

import subprocess

import pytest
from console_fakes import ACCOUNTS, PO, FakeAgent

from ie_console import accounts, app, session


@pytest.fixture
def console(tmp_path):
    mo = tmp_path / "locale" / "ja" / "LC_MESSAGES" / "ie-console.mo"
    mo.parent.mkdir(parents=True)
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(PO)], check=True)
    agents, starts = {}, []

    def start(user, password, uid):
        starts.append(user)
        if password != "right":
            raise session.LoginFailed("wrong login name or password")
        agents[user] = FakeAgent(user)
        agents[user].home = tmp_path / user
        agents[user].home.mkdir(exist_ok=True)
        return agents[user]

    application = app.create_app(
        {"SECRET_KEY": "test-key", "IE_CONSOLE_LOCALE_DIR": str(tmp_path / "locale")},
        start=start,
        lookup=lambda user, students, admins: ACCOUNTS.get(user),
        throttle=accounts.Throttle(free=3, first=60),
    )
    application.testing = True
    return application, agents, starts
