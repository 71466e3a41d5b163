"""The console's web application (Flask; templates rendered on the server,
no JavaScript).

Every page acts through the logged-in student's agent, so it can do no more
than that student at a shell: the wrappers decide, and their own messages
(in the page's language) are what the page shows. A name from a URL or a
form reaches a wrapper only after the page's pattern (pages.py, forms.py)
matched it in full, and after ``--``, so it can never be taken as an option.
"""

from __future__ import annotations

import gettext
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFProtect

from ie_console import accounts, forms, overview, registry
from ie_console import session as login_session
from ie_console.forms import IMAGE, N_, NAME
from ie_console.pages import KINDS, json_rows

HERE = Path(__file__).resolve().parent
DOMAIN = "ie-console"
LANGS = {"ja": "ja_JP.UTF-8", "en": "C.UTF-8"}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Flask-WTF checks over HTTPS that a form comes from the console's own
    # pages (the Referer): browsers send it to the same origin only.
    "Referrer-Policy": "same-origin",
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
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,  # an uploaded build context, compressed
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
        return {"_": g.gettext, "lang": g.lang, "entry": g.entry, "kinds": KINDS}

    @app.errorhandler(login_session.SessionEnded)
    def agent_gone(exc):
        sessions.end(session.pop("sid", None))
        session.clear()
        flash(g.gettext("Your session has ended. Please log in again."))
        return redirect(url_for("login"))

    @app.errorhandler(login_session.AgentError)
    def agent_refused(exc):
        flash(str(exc))
        return redirect(url_for("listing", kind="containers"))

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
        return redirect(url_for("listing", kind="containers") if g.entry else url_for("login"))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method != "POST":  # GET, and HEAD as GET
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
        return redirect(url_for("listing", kind="containers"))

    @app.post("/logout")
    def logout():
        sessions.end(session.pop("sid", None))
        session.clear()
        return redirect(url_for("login"))

    def listed(argv, parse) -> tuple[login_session.Result, list[dict]]:
        """A wrapper's listing and its rows (none where it failed or said nonsense)."""
        done = wrapper(list(argv))
        try:
            rows = parse(done.stdout, g.entry.account.user) if done.rc == 0 else []
        except (ValueError, AttributeError):
            rows = []
        return done, rows

    @app.get("/<kind>")
    def listing(kind: str):
        if kind not in KINDS:
            abort(404)
        page = KINDS[kind]
        done, rows = listed(page.listing, page.rows)
        choices: list[str] = []
        if page.choices:
            argv, field = page.choices
            found = rows if argv == page.listing else listed(argv, json_rows)[1]
            choices = [str(r.get(field, "")) for r in found]
        error = done.stderr if done.rc else ""
        return render_template(
            "listing.html", kind=kind, page=page, rows=rows, error=error, choices=choices
        )

    def shown(kind: str, done: login_session.Result):
        """The wrapper's own words on the page it was asked from."""
        flash((done.stderr or done.stdout).strip() or g.gettext("Done."))
        return redirect(url_for("listing", kind=kind))

    def made(kind: str, argv: list[str], script: str | None = None):
        return shown(kind, agent().run(argv, lang=LANGS[g.lang], input=script))

    def refused(kind: str, exc: forms.Invalid):
        flash(f"{exc.field}: {g.gettext(exc.message)}")
        return redirect(url_for("listing", kind=kind))

    @app.post("/images/<path:image>/sif")
    def sif(image: str):
        """The image as a SIF file, made in the student's home by ie-podman
        and read through the agent's descriptor: the console itself cannot
        read the student's files."""
        if not IMAGE.fullmatch(image):
            abort(404)
        out = image.replace(":", "-") + ".sif"
        done = wrapper(["ie-podman", "sif", "--force", "--", image, out])
        if done.rc != 0:
            flash(done.stderr.strip() or done.stdout.strip())
            return redirect(url_for("listing", kind="images"))
        fd, _size = agent().open(out)
        return send_file(
            os.fdopen(fd, "rb"),
            mimetype="application/octet-stream",
            as_attachment=True,
            download_name=out,
        )

    @app.post("/images/build")
    def build_image():
        """An uploaded build context (a tar archive, compressed or not, with
        its Containerfile) built by ie-podman as the student; the agent
        unpacks it (ie_console.agent.unpack)."""
        tag = (request.form.get("tag") or "").strip()
        upload = request.files.get("context")
        if not IMAGE.fullmatch(tag):
            return refused("images", forms.Invalid("tag", forms.IMAGE_TEXT))
        if upload is None or not upload.filename:
            return refused(
                "images", forms.Invalid("context", N_("a tar archive of the build context"))
            )
        with tempfile.TemporaryFile() as archive:
            upload.save(archive)
            archive.seek(0)
            done = agent().build(tag, archive.fileno(), lang=LANGS[g.lang])
        return shown("images", done)

    @app.post("/<kind>/<verb>")
    def form(kind: str, verb: str):
        """A page's form (forms.FORMS): one command, or a refusal that runs nothing."""
        make = forms.FORMS.get((kind, verb))
        if make is None:
            abort(404)
        try:
            argv, script = make(request.form)
        except forms.Invalid as exc:
            return refused(kind, exc)
        return made(kind, argv, script)

    @app.post("/<kind>/<path:name>/<action>")
    def act(kind: str, name: str, action: str):
        page = KINDS.get(kind)
        command = {verb: argv for verb, _label, argv in page.actions} if page else {}
        if action not in command or not page.name.fullmatch(name):
            abort(404)
        return made(kind, [*command[action], "--", name])

    @app.get("/overview")
    def admin_overview():
        """The admins' read-only overview (ie_console.overview): the snapshot
        root's timer wrote, read through the admin's own agent. Not a page
        for students, so they are told it is not found."""
        theirs = agent()  # logged in first
        if g.entry.account.role != "admin":
            abort(404)
        fd, _size = theirs.overview()
        with os.fdopen(fd, "rb") as snapshot:
            data = snapshot.read(overview.MAX_SIZE + 1)
        if len(data) > overview.MAX_SIZE:
            abort(500)
        return render_template("overview.html", o=overview.shown(data, time.time()))

    @app.get("/containers/<name>/logs")
    def container_logs(name: str):
        if not NAME.fullmatch(name):
            abort(404)
        done = wrapper(["ie-podman", "logs", "--tail", "1000", "--", name])  # not all of it
        # Another student's container (or none) is not found, for the page too.
        return render_template("logs.html", name=name, done=done), 404 if done.rc else 200

    @app.get("/vms/<name>/interfaces")
    def vm_interfaces(name: str):
        if not NAME.fullmatch(name):
            abort(404)
        done, rows = listed(["ie-virsh", "domiflist", "--format", "json", "--", name], json_rows)
        page = render_template("interfaces.html", name=name, done=done, rows=rows)
        return page, 404 if done.rc else 200

    return app
