"""The console's login, sessions and defences, with stand-ins for su and the
agents (console_fakes.py, conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from console_fakes import EVIL, PO, logged_in, token

from ie_common import graphs
from ie_console import app


def test_pages_need_a_login(console):
    application, _, _ = console
    client = application.test_client()
    for path in ("/containers", "/containers/web/logs", "/"):
        done = client.get(path)
        assert done.status_code == 302 and done.headers["Location"].endswith("/login")


def test_the_login_page_answers_head_as_get_and_tries_no_login(console):
    application, _, starts = console
    client = application.test_client()
    assert client.head("/login").status_code == 200
    assert starts == []


def test_over_https_a_form_must_come_from_the_consoles_own_pages(console):
    """Flask-WTF's Referer check over HTTPS: a browser sends the Referer only
    to the same origin (the policy each page sets), and a form posted from
    another site, or with no Referer, is refused before any login."""
    application, _, starts = console
    client = application.test_client()
    site = "https://console.example"
    page = client.get("/login", base_url=site)
    assert page.headers["Referrer-Policy"] == "same-origin"
    t = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"user": "student1", "password": "right", "csrf_token": t}
    for referer in (None, "https://evil.example/login"):
        headers = {"Referer": referer} if referer else {}
        done = client.post("/login", data=form, base_url=site, headers=headers)
        assert done.status_code == 400
    assert starts == []
    done = client.post("/login", data=form, base_url=site, headers={"Referer": site + "/login"})
    assert done.status_code == 302 and starts == ["student1"]


def test_the_session_cookie_is_secure_httponly_samesite(console):
    application, _, _ = console
    _, done = logged_in(application)
    cookie = done.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires=" in cookie  # it expires with the session's lifetime


def test_every_page_forbids_framing_scripts_and_caching(console):
    application, _, _ = console
    client, _ = logged_in(application)
    headers = client.get("/containers").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"


def test_a_post_without_the_csrf_token_is_refused_and_runs_nothing(console):
    application, agents, starts = console
    client = application.test_client()
    assert client.post("/login", data={"user": "student1", "password": "right"}).status_code == 400
    assert starts == []
    client, _ = logged_in(application)
    assert client.post("/containers/web-student1/stop").status_code == 400
    other = token(client, "/containers")  # a token of this session, forged into another
    forged = application.test_client()
    assert (
        forged.post("/containers/web-student1/stop", data={"csrf_token": other}).status_code == 400
    )
    assert [a for a, _ in agents["student1"].asked if a[1] == "stop"] == []


def test_a_wrong_password_is_refused_and_repeated_failures_slow_down(console):
    application, agents, starts = console
    client = application.test_client()
    for _ in range(3):
        done = client.post(
            "/login", data={"user": "student1", "password": "wrong", "csrf_token": token(client)}
        )
        assert done.status_code == 401  # no Accept-Language: the department's Japanese
        assert "ユーザー名またはパスワードが違います。" in done.get_data(as_text=True)
    done = client.post(
        "/login", data={"user": "student1", "password": "right", "csrf_token": token(client)}
    )
    assert done.status_code == 429 and "秒後にもう一度" in done.get_data(as_text=True)
    assert starts == ["student1"] * 3 and agents == {}  # the fourth try did not reach su


def test_an_account_outside_the_groups_is_refused_without_su(console):
    application, _, starts = console
    client = application.test_client()
    done = client.post(
        "/login", data={"user": "teacher", "password": "right", "csrf_token": token(client)}
    )
    assert done.status_code == 401 and starts == []


def test_the_students_containers_are_listed_and_names_are_text(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get("/containers", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "web-student1" in page and "10.40.1.5" in page
    assert EVIL not in page and "&lt;script&gt;alert(" in page
    assert [a for a, _ in agents["student1"].asked[-2:]] == [
        ["ie-podman", "ps", "--all", "--format", "json"],
        ["ie-podman", "images", "--format", "json"],  # the run form's choices
    ]


def test_an_action_runs_the_wrapper_with_the_name_after_double_dash(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/containers")
    done = client.post("/containers/web-student1/stop", data={"csrf_token": t})
    assert done.status_code == 302
    assert agents["student1"].asked[-1][0] == ["ie-podman", "stop", "--", "web-student1"]
    done = client.post("/containers/nope/stop", data={"csrf_token": t}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "no container named nope" in page and EVIL not in page  # the wrapper's words, as text


def test_each_student_acts_through_their_own_agent(console):
    application, agents, _ = console
    one, _ = logged_in(application, "student1")
    two, _ = logged_in(application, "student2")
    # student2 names student1's container: it goes to student2's agent, as
    # their own name, where the wrapper knows no such container of theirs
    two.post("/containers/web-student1/rm", data={"csrf_token": token(two, "/containers")})
    assert ["ie-podman", "rm", "--", "web-student1"] in [a for a, _ in agents["student2"].asked]
    assert all(a[1] != "rm" for a, _ in agents["student1"].asked)
    assert "web-student2" in two.get("/containers").get_data(as_text=True)
    assert "web-student2" not in one.get("/containers").get_data(as_text=True)


def test_a_forged_or_replayed_cookie_is_not_a_session(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    cookie = client.get_cookie("ie_console").value
    other = app.create_app({"SECRET_KEY": "another-key"}, start=None, lookup=None)
    forged = other.test_client()
    forged.get("/login")
    with forged.session_transaction() as s:
        s["sid"] = "guessed"
    stolen_shape = forged.get_cookie("ie_console").value
    victim = application.test_client()
    victim.set_cookie("ie_console", stolen_shape)
    assert victim.get("/containers").status_code == 302  # another key's signature
    client.post("/logout", data={"csrf_token": token(client, "/containers")})
    assert agents["student1"].alive is False  # logout ends the agent
    replay = application.test_client()
    replay.set_cookie("ie_console", cookie)
    assert replay.get("/containers").status_code == 302  # the old cookie is nothing now


def test_the_page_and_the_wrapper_speak_the_browsers_language(console):
    application, agents, _ = console
    client, _ = logged_in(application, lang="ja")
    page = client.get("/containers", headers={"Accept-Language": "ja,en;q=0.5"})
    assert "<h1>コンテナ</h1>" in page.get_data(as_text=True)
    assert agents["student1"].asked[-1][1] == "ja_JP.UTF-8"
    page = client.get("/containers", headers={"Accept-Language": "en-US"})
    assert "<h1>Containers</h1>" in page.get_data(as_text=True)
    assert agents["student1"].asked[-1][1] == "C.UTF-8"


def test_every_text_of_the_pages_has_its_japanese_and_no_other():
    here = Path(app.__file__).parent
    code = "".join((here / f).read_text() for f in ("app.py", "forms.py", "pages.py"))
    code += "".join(p.read_text() for p in sorted((here / "templates").glob("*.html")))
    wanted = set(re.findall(r'(?:\bN_|\b_|gettext)\("((?:[^"\\]|\\.)*)"\)', code))
    wanted |= {text for panel in graphs.PANELS for text in panel[:2]}  # the overview's graphs
    po = PO.read_text()
    have = {
        m.group(1) for m in re.finditer(r'^msgid "(.+)"\nmsgstr "(.+)"$', po, re.M) if m.group(2)
    }
    assert wanted - have == set(), "untranslated in ie-console.po"
    assert have - wanted == set(), "no longer on any page"


def test_an_agent_that_ended_ends_the_session(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    agents["student1"].gone = True  # su or the agent died during the session
    done = client.get("/containers", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert done.request.path == "/login"
    assert "Your session has ended" in done.get_data(as_text=True)
    assert agents["student1"].alive is False  # ended with it
    assert client.get("/containers").status_code == 302  # nothing left of the session
