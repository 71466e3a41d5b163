"""The console's pages of a student's things and their forms: what each
student's agent is asked to run, and what the pages show."""

from __future__ import annotations

import pytest
from console_fakes import EVIL, logged_in, token


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
    assert agents["student1"].asked[-1][0][:3] == ["ie-podman", "registry", "share"]
    before = len(agents["student1"].asked)
    client.post("/images/share", data={"csrf_token": t, "image": "web:1.0", "user": "--all"})
    client.post("/images/share", data={"csrf_token": t, "image": "../x", "user": "student2"})
    assert len(agents["student1"].asked) == before  # neither ran


def test_the_registry_page_pulls_an_image_shared_with_the_student(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    assert 'action="/registry/pull"' in client.get("/registry").get_data(as_text=True)
    t = token(client, "/registry")
    client.post("/registry/pull", data={"csrf_token": t, "image": "student2/web:1.0"})
    assert agents["student1"].asked[-1][0] == ["ie-podman", "pull", "--", "student2/web:1.0"]
    before = len(agents["student1"].asked)
    done = client.post("/registry/pull", data={"csrf_token": t, "image": "web:1.0"})
    assert done.status_code == 302 and len(agents["student1"].asked) == before


@pytest.mark.parametrize("path", ["/containers/exec", "/vms/run", "/hosts/define", "/jobs/build"])
def test_no_other_form_runs_anything(console, path):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/containers")
    before = len(agents["student1"].asked)
    assert client.post(path, data={"csrf_token": t, "image": "web"}).status_code == 404
    assert len(agents["student1"].asked) == before


def test_a_refusal_of_the_agent_is_shown_and_the_session_goes_on(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    t = token(client, "/images")
    done = client.post("/images/ghost:1/sif", data={"csrf_token": t}, follow_redirects=True)
    assert "ghost-1.sif: No such file or directory" in done.get_data(as_text=True)
    assert agents["student1"].alive and client.get("/images").status_code == 200


def test_a_containers_logs_are_its_last_lines_as_text(console):
    application, agents, _ = console
    client, _ = logged_in(application)
    page = client.get("/containers/web-student1/logs").get_data(as_text=True)
    assert '<pre class="logs">web-student1\n</pre>' in page
    assert agents["student1"].asked[-1][0] == [
        "ie-podman",
        "logs",
        "--tail",
        "1000",
        "--",
        "web-student1",
    ]
    assert client.get("/containers/--follow/logs").status_code == 404


def test_another_students_container_or_vm_page_is_not_found(console):
    """The wrapper refuses another student's thing: the page says so, as 404."""
    application, _agents, _ = console
    client, _ = logged_in(application)
    for path in ("/containers/theirs/logs", "/vms/theirs/interfaces"):
        page = client.get(path)
        assert page.status_code == 404
        assert "no container or VM of yours named theirs" in page.get_data(as_text=True)
