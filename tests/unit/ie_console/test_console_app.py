"""The console's pages, with stand-ins for su (the login) and the agents:
what each student's agent is asked to run, and what the pages show."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from ie_console import accounts, app, session

PO = Path(app.__file__).with_name("locale") / "ja" / "LC_MESSAGES" / "ie-console.po"
ACCOUNTS = {
    "student1": accounts.Account("student1", 2001, "student"),
    "student2": accounts.Account("student2", 2002, "student"),
}
EVIL = '<script>alert("x")</script>'


class FakeAgent:
    def __init__(self, user):
        self.user, self.asked, self.inputs, self.alive = user, [], [], True
        self.opened, self.home, self.built = [], None, []
        self.containers = [
            {
                "name": f"web-{user}",
                "image": "web:latest",
                "state": "running",
                "status": "Up 2 minutes",
                "ip": "10.40.1.5",
                "id": "0123456789ab",
            },
            {"name": "evil", "image": EVIL, "state": "exited", "status": "", "ip": "", "id": "1"},
        ]

    def run(self, argv, lang="C.UTF-8", input=None, stdin_fd=None):
        if not self.alive:
            raise session.AgentError("the session has ended")
        self.asked.append((list(argv), lang))
        self.inputs.append(input)
        if argv[1] == "ps":
            return session.Result(0, json.dumps(self.containers), "")
        if argv[:2] == ["ie-podman", "images"]:
            return session.Result(
                0, json.dumps([{"image": "web:1.0", "size": 5, "created": "x"}]), ""
            )
        if argv[:3] == ["ie-podman", "registry", "search"]:
            return session.Result(0, json.dumps([{"image": "s1/web"}, {"image": EVIL}]), "")
        if argv[:2] == ["ie-virsh", "list"]:
            vm = {
                "name": "vm1",
                "state": "running",
                "vcpus": 2,
                "memory_mib": 2048,
                "disk_gib": 10,
                "template": "debian13",
            }
            return session.Result(0, json.dumps([vm]), "")
        if argv[0] == "sacct":
            done = {
                "job_id": 41,
                "name": "train",
                "user": self.user,
                "time": {"elapsed": 61},
                "state": {"current": ["COMPLETED"]},
                "exit_code": {"return_code": {"set": True, "number": 0}},
            }
            other = dict(done, job_id=40, name="someone-elses", user="student9")
            return session.Result(0, json.dumps({"jobs": [done, other]}), "")
        if argv[:2] == ["ie-virsh", "domiflist"]:
            nic = {
                "type": "network",
                "source": "ie-dept",
                "model": "virtio",
                "mac": "52:54:00:12:34:56",
            }
            return session.Result(0, json.dumps([nic]), "")
        if argv[0] == "squeue":
            job = {
                "job_id": 42,
                "name": EVIL,
                "job_state": ["PENDING"],
                "partition": "gpu",
                "time_limit": {"set": True, "infinite": False, "number": 10},
                "state_reason": "Priority",
                "user_name": self.user,
            }
            other = dict(job, job_id=43, name="someone-elses", user_name="student9")
            return session.Result(0, json.dumps({"jobs": [job, other]}), "")
        if argv[1] == "sif":
            if argv[-2] == "broken:1":
                return session.Result(4, "", "ie-podman: no image broken:1\n")
            (self.home / argv[-1]).write_bytes(b"SIF-" + argv[-2].encode())
            return session.Result(0, "", "")
        if argv[1] == "stop" and argv[-1] == "nope":
            return session.Result(1, "", f"ie-podman: no container named nope {EVIL}\n")
        return session.Result(0, f"{argv[-1]}\n", "")

    def open(self, path):
        self.opened.append(path)
        made = self.home / path
        fd = os.open(made, os.O_RDONLY)
        return fd, made.stat().st_size

    def build(self, tag, archive_fd, lang="C.UTF-8"):
        self.built.append((tag, os.read(archive_fd, 1 << 20), lang))
        return session.Result(0, f"built {tag}\n", "")

    def close(self):
        self.alive = False


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


def token(client, path="/login", lang="en"):
    page = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def logged_in(application, user="student1", lang="en"):
    client = application.test_client()
    done = client.post(
        "/login",
        data={"user": user, "password": "right", "csrf_token": token(client, lang=lang)},
        headers={"Accept-Language": lang},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/containers")
    return client, done


def test_pages_need_a_login(console):
    application, _, _ = console
    client = application.test_client()
    for path in ("/containers", "/containers/web/logs", "/"):
        done = client.get(path)
        assert done.status_code == 302 and done.headers["Location"].endswith("/login")


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
    code = (here / "app.py").read_text() + (here / "forms.py").read_text()
    code += "".join(p.read_text() for p in sorted((here / "templates").glob("*.html")))
    wanted = set(re.findall(r'(?:\bN_|\b_|gettext)\("((?:[^"\\]|\\.)*)"\)', code))
    po = PO.read_text()
    have = {
        m.group(1) for m in re.finditer(r'^msgid "(.+)"\nmsgstr "(.+)"$', po, re.M) if m.group(2)
    }
    assert wanted - have == set(), "untranslated in ie-console.po"
    assert have - wanted == set(), "no longer on any page"


@pytest.mark.parametrize(
    ("kind", "shown", "action", "name", "argv"),
    [
        ("images", "web:1.0", "rmi", "web:1.0", ["ie-podman", "rmi", "--", "web:1.0"]),
        (
            "images",
            "web:1.0",
            "push",
            "web:1.0",
            ["ie-podman", "registry", "push", "--", "web:1.0"],
        ),
        ("vms", "debian13", "destroy", "vm1", ["ie-virsh", "destroy", "--", "vm1"]),
        ("vms", "2048", "undefine", "vm1", ["ie-virsh", "undefine", "--", "vm1"]),
        ("jobs", "Priority", "cancel", "42", ["scancel", "--", "42"]),
        (
            "containers",
            "web-student1",
            "rm",
            "web-student1",
            ["ie-podman", "rm", "--", "web-student1"],
        ),
    ],
)
def test_each_page_lists_and_acts_through_the_wrapper(console, kind, shown, action, name, argv):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get(f"/{kind}").get_data(as_text=True)
    assert shown in page and EVIL not in page
    assert "someone-elses" not in page  # another student's job, had Slurm listed it
    t = token(client, f"/{kind}")
    assert f'action="/{kind}/{name}/{action}"' in page
    done = client.post(f"/{kind}/{name}/{action}", data={"csrf_token": t})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/{kind}")
    assert agents["student1"].asked[-1][0] == argv


@pytest.mark.parametrize(
    "path",
    [
        "/containers/--all/rm",
        "/containers/-f/stop",
        "/containers/web/exec",
        "/containers/web/kill",
        "/containers/.hidden/rm",
        "/containers/a%20b/rm",
        "/jobs/--all/cancel",
        "/jobs/42;rm/cancel",
        "/jobs/42/rm",
        "/vms/vm1/define",
        "/images/--all/rmi",
        "/images/Web/rmi",
        "/images/web:1.0/start",
        "/hosts/gs01/start",
    ],
)
def test_no_option_other_verb_or_kind_reaches_a_wrapper(console, path):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/containers")
    before = len(agents["student1"].asked)
    assert client.post(path, data={"csrf_token": t}).status_code == 404
    assert len(agents["student1"].asked) == before
    assert client.get("/hosts").status_code == 404


def test_a_form_becomes_one_command_and_a_bad_field_runs_nothing(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/containers")
    client.post(
        "/containers/run",
        data={"csrf_token": t, "image": "web:1.0", "name": "site", "ip": "on", "gpu": "1"},
    )
    assert agents["student1"].asked[-1][0] == [
        "ie-podman",
        "run",
        "--detach",
        "--name",
        "site",
        "--ip",
        "--gpu",
        "1",
        "--",
        "web:1.0",
    ]
    before = len(agents["student1"].asked)
    done = client.post(
        "/containers/run",
        data={"csrf_token": t, "image": "--privileged"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "image: an image of yours" in done.get_data(as_text=True)
    assert len(agents["student1"].asked) == before + 2  # only the page's two listings again


def test_a_job_script_goes_to_sbatch_on_its_input(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/jobs")
    script = "#!/bin/bash\r\n#SBATCH --time=0:05:00\r\nhostname\r\n"
    client.post("/jobs/submit", data={"csrf_token": t, "script": script, "container": "pytorch"})
    assert agents["student1"].asked[-1][0] == ["sbatch", "--container=pytorch"]
    assert agents["student1"].inputs[-1] == "#!/bin/bash\n#SBATCH --time=0:05:00\nhostname\n"


def test_the_forms_fill_their_choices_from_the_wrappers(console):
    application, _, _ = console
    client, _ = logged_in(application)
    page = client.get("/containers").get_data(as_text=True)
    assert "<option>web:1.0</option>" in page


def test_an_image_downloads_as_a_sif_read_through_the_agent(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/images")
    done = client.post("/images/web:1.0/sif", data={"csrf_token": t})
    assert done.status_code == 200 and done.data == b"SIF-web:1.0"
    assert "filename=web-1.0.sif" in done.headers["Content-Disposition"]
    assert agents["student1"].asked[-1][0] == [
        "ie-podman",
        "sif",
        "--force",
        "--",
        "web:1.0",
        "web-1.0.sif",
    ]
    assert agents["student1"].opened == ["web-1.0.sif"]
    done = client.post("/images/broken:1/sif", data={"csrf_token": t}, follow_redirects=True)
    assert "no image broken:1" in done.get_data(as_text=True)
    assert agents["student1"].opened == ["web-1.0.sif"]  # nothing opened after a failure
    assert client.post("/images/--help/sif", data={"csrf_token": t}).status_code == 404


def test_the_job_history_shows_the_students_last_week_only(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get("/history", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "train" in page and "COMPLETED" in page and "someone-elses" not in page
    assert agents["student1"].asked[-1][0] == [
        "sacct",
        "--allocations",
        "--json",
        "--starttime",
        "now-7days",
    ]


def test_a_vms_interfaces(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get("/vms/vm1/interfaces").get_data(as_text=True)
    assert "52:54:00:12:34:56" in page and "ie-dept" in page
    assert agents["student1"].asked[-1][0] == [
        "ie-virsh",
        "domiflist",
        "--format",
        "json",
        "--",
        "vm1",
    ]
    assert client.get("/vms/--all/interfaces").status_code == 404


def test_an_uploaded_context_goes_to_the_agent_as_a_descriptor(console):
    import io

    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/images")
    page = client.get("/images").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    done = client.post(
        "/images/build",
        data={"csrf_token": t, "tag": "web:2", "context": (io.BytesIO(b"TAR-BYTES"), "ctx.tar")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "built web:2" in done.get_data(as_text=True)
    assert agents["student1"].built == [("web:2", b"TAR-BYTES", "ja_JP.UTF-8")]
    for data in (
        {"tag": "--squash", "context": (io.BytesIO(b"x"), "ctx.tar")},
        {"tag": "web"},
    ):
        done = client.post(
            "/images/build",
            data={"csrf_token": t, **data},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert done.status_code == 200
    assert len(agents["student1"].built) == 1  # neither reached the agent


def test_the_registry_page_and_sharing_an_image(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get("/registry").get_data(as_text=True)
    assert "s1/web" in page and EVIL not in page
    page = client.get("/images").get_data(as_text=True)
    assert page.count("<option>web:1.0</option>") == 1  # the share form's choice
    assert sum(a[:2] == ["ie-podman", "images"] for a, _ in agents["student1"].asked) == 1
    t = token(client, "/images")
    client.post("/images/share", data={"csrf_token": t, "image": "web:1.0", "user": "student2"})
    assert agents["student1"].asked[-1][0] == [
        "ie-podman",
        "registry",
        "share",
        "--",
        "web:1.0",
        "student2",
    ]
    before = len(agents["student1"].asked)
    client.post("/images/share", data={"csrf_token": t, "image": "web:1.0", "user": "--all"})
    client.post("/images/share", data={"csrf_token": t, "image": "../x", "user": "student2"})
    assert len(agents["student1"].asked) == before  # neither ran
