"""The console's web application (Flask; templates rendered on the server,
no JavaScript).

Every page acts through the logged-in student's agent, so it can do no more
than that student at a shell: the wrappers decide, and their own messages
(in the page's language) are what the page shows. A name from a URL or a
form reaches a wrapper only after :data:`NAME` matched it in full, and after
``--``, so it can never be taken as an option.
"""

from __future__ import annotations

import gettext
import json
import re
import threading
from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from ie_console import accounts, registry
from ie_console import session as login_session

HERE = Path(__file__).resolve().parent
DOMAIN = "ie-console"
# Container names as Podman accepts them (ie-podman checks them again).
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
ACTIONS = ("start", "stop", "rm")
LANGS = {"ja": "ja_JP.UTF-8", "en": "C.UTF-8"}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_NAME": "ie_console",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "IE_CONSOLE_STUDENTS_GROUP": "students",
    "IE_CONSOLE_ADMINS_GROUP": "ieadmin",  # base_admin_group
    "IE_CONSOLE_IDLE": 1800,
    "IE_CONSOLE_LIFETIME": 28800,
    "IE_CONSOLE_LOCALE_DIR": str(HERE / "locale"),
    "MAX_CONTENT_LENGTH": 64 * 1024,  # forms only, until uploads come
}
_translations: dict[tuple[str, str], gettext.NullTranslations] = {}
_translations_lock = threading.Lock()


def translations(lang: str, locale_dir: str) -> gettext.NullTranslations:
    with _translations_lock:
        if (lang, locale_dir) not in _translations:
            _translations[lang, locale_dir] = gettext.translation(
                DOMAIN, locale_dir, languages=[lang], fallback=True
            )
        return _translations[lang, locale_dir]


def create_app(
    config: dict[str, Any] | None = None,
    *,
    start=login_session.start,
    lookup=accounts.lookup,
    throttle: accounts.Throttle | None = None,
) -> Flask:
    """The application. ``start`` and ``lookup`` log in and find accounts
    (the tests give stand-ins); the config needs SECRET_KEY."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        raise ValueError("SECRET_KEY is required")
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["IE_CONSOLE_LIFETIME"]
    CSRFProtect(app)
    sessions = registry.Sessions(app.config["IE_CONSOLE_IDLE"], app.config["IE_CONSOLE_LIFETIME"])
    slow = throttle or accounts.Throttle()
    app.extensions["ie_console_sessions"] = sessions

    @app.before_request
    def who() -> None:
        g.lang = request.accept_languages.best_match(list(LANGS), default="ja")
        t = translations(g.lang, app.config["IE_CONSOLE_LOCALE_DIR"])
        g.gettext = t.gettext
        sessions.reap()  # expired sessions end here, with their agents
        g.entry = sessions.get(session.get("sid"))

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"_": g.gettext, "lang": g.lang, "entry": g.entry}

    @app.after_request
    def headers(response):
        response.headers.update(HEADERS)
        return response

    def agent():
        if g.entry is None:
            abort(redirect(url_for("login")))
        return g.entry.agent

    def wrapper(argv: list[str]):
        return agent().run(argv, lang=LANGS[g.lang])

    @app.get("/")
    def home():
        return redirect(url_for("containers" if g.entry else "login"))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return render_template("login.html")
        user = request.form.get("user", "")
        password = request.form.get("password", "")
        keys = ("user:" + user, "addr:" + (request.remote_addr or ""))
        wait = max(slow.wait(k) for k in keys)
        if wait > 0:
            flash(g.gettext("Too many failed logins. Try again in {s} s.").format(s=int(wait) + 1))
            return render_template("login.html"), 429
        found = lookup(
            user, app.config["IE_CONSOLE_STUDENTS_GROUP"], app.config["IE_CONSOLE_ADMINS_GROUP"]
        )
        try:
            if found is None:
                raise login_session.LoginFailed("not a student")
            their_agent = start(found.user, password, found.uid)
        except login_session.LoginFailed:
            for k in keys:
                slow.failed(k)
            flash(g.gettext("Wrong login name or password."))
            return render_template("login.html"), 401
        for k in keys:
            slow.succeeded(k)
        session.clear()
        session.permanent = True
        session["sid"] = sessions.create(found, their_agent)
        return redirect(url_for("containers"))

    @app.post("/logout")
    def logout():
        sessions.end(session.pop("sid", None))
        session.clear()
        return redirect(url_for("login"))

    @app.get("/containers")
    def containers():
        done = wrapper(["ie-podman", "ps", "--all", "--format", "json"])
        rows = []
        if done.rc == 0:
            try:
                rows = json.loads(done.stdout or "[]")
            except ValueError:
                rows = []
        return render_template("containers.html", rows=rows, error=done.stderr if done.rc else "")

    @app.post("/containers/<name>/<action>")
    def container_action(name: str, action: str):
        if action not in ACTIONS or not NAME.fullmatch(name):
            abort(404)
        done = wrapper(["ie-podman", action, "--", name])
        flash((done.stderr or done.stdout).strip() or g.gettext("Done."))
        return redirect(url_for("containers"))

    @app.get("/containers/<name>/logs")
    def container_logs(name: str):
        if not NAME.fullmatch(name):
            abort(404)
        done = wrapper(["ie-podman", "logs", "--", name])
        return render_template("logs.html", name=name, done=done)

    return app
