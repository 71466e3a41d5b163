"""Each form field is matched in full before it becomes an argument."""

from __future__ import annotations

import pytest

from ie_console import forms


def test_run_takes_only_what_ie_podman_run_would():
    assert forms.run_container({"image": "web"}) == (
        ["ie-podman", "run", "--detach", "--", "web"],
        None,
    )
    assert forms.run_container({"image": " web:1.0 ", "gpu": "2", "ip": "on"})[0] == [
        "ie-podman",
        "run",
        "--detach",
        "--ip",
        "--gpu",
        "2",
        "--",
        "web:1.0",
    ]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "image"),
        ({"image": "--privileged"}, "image"),
        ({"image": "Web"}, "image"),
        ({"image": "web", "name": "-x"}, "name"),
        ({"image": "web", "name": "a b"}, "name"),
        ({"image": "web", "gpu": "0"}, "gpu"),
        ({"image": "web", "gpu": "1; reboot"}, "gpu"),
        ({"image": "alice/web"}, "image"),
    ],
)
def test_run_refuses_a_field_the_wrapper_would_not_take(form, field):
    with pytest.raises(forms.Invalid) as refused:
        forms.run_container(form)
    assert refused.value.field == field


def test_define_names_the_vm_after_double_dash():
    assert forms.define_vm({"template": "debian13", "name": "vm1", "memory": "2G"})[0] == [
        "ie-virsh",
        "define",
        "--template",
        "debian13",
        "--memory",
        "2G",
        "--",
        "vm1",
    ]
    for form in (
        {"template": "debian13"},
        {"name": "vm1"},
        {"template": "debian13", "name": "vm1", "vcpus": "0"},
        {"template": "debian13", "name": "vm1", "memory": "-1"},
        {"template": "--xml=/etc/shadow", "name": "vm1"},
    ):
        with pytest.raises(forms.Invalid):
            forms.define_vm(form)


def test_a_job_is_a_script_of_text_starting_with_a_shebang():
    argv, script = forms.submit_job({"script": "#!/bin/sh\r\necho hi\r\n"})
    assert argv == ["sbatch"] and script == "#!/bin/sh\necho hi\n"
    for form in (
        {"script": "echo hi"},
        {"script": "#!/bin/sh\n" + "x" * 70000},
        {"script": "#!/bin/sh\n\0"},
        {"script": "#!/bin/sh\n", "container": "--wrap=id"},
    ):
        with pytest.raises(forms.Invalid):
            forms.submit_job(form)


def test_share_names_an_image_and_a_login():
    assert forms.share_image({"image": "web:1.0", "user": "student2"})[0] == [
        "ie-podman",
        "registry",
        "share",
        "--",
        "web:1.0",
        "student2",
    ]
    for form in (
        {"image": "web"},
        {"user": "student2"},
        {"image": "web", "user": "-x"},
        {"image": "web", "user": "Student2"},
        {"image": "a/b", "user": "student2"},
    ):
        with pytest.raises(forms.Invalid):
            forms.share_image(form)


def test_every_form_is_on_a_page_with_its_verb():
    from ie_console.pages import KINDS

    assert {kind for kind, _verb in forms.FORMS} <= set(KINDS)
    for verb in {verb for _kind, verb in forms.FORMS}:
        assert forms.NAME.fullmatch(verb)


def test_pull_takes_an_owners_shared_image_and_nothing_else():
    assert forms.pull_shared({"image": "student1/web:1.0"})[0] == [
        "ie-podman",
        "pull",
        "--",
        "student1/web:1.0",
    ]
    for bad in (
        "",
        "web:1.0",
        "--all/web",
        "student1/../web",
        "a/b/c",
        "student1/web:1.0 x",
        "Student1/web",
        "student1/<b>",
    ):
        with pytest.raises(forms.Invalid):
            forms.pull_shared({"image": bad})
