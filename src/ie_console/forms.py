"""The console's forms, each turned into one wrapper command: (argv, the
text for its standard input or None).

Every field is matched in full against what the wrapper accepts before it
becomes an argument; a field that does not match refuses the whole form
with :class:`Invalid`, and nothing runs. Names come after ``--``, so no
field can become an option. The wrappers check everything again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
IMAGE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?")
COUNT = re.compile(r"[1-9][0-9]{0,3}")
LOGIN = re.compile(r"[a-z_][a-z0-9_-]{0,31}")  # as the directory and the wrappers take them
MEMORY = re.compile(r"[1-9][0-9]{0,6}[MG]?")
# OWNER/IMAGE[:TAG]: an image another student shared (ie-podman pull)
SHARED = re.compile(rf"(?:{LOGIN.pattern})/(?:{IMAGE.pattern})")
MAX_SCRIPT = 64 * 1024


def N_(text: str) -> str:  # gettext's mark: a text translated where it is shown
    return text


NAME_TEXT = N_("letters, digits, '.', '_' and '-', starting with a letter or digit")
IMAGE_TEXT = N_("an image of yours, like web or web:1.0")


class Invalid(Exception):
    """A field the wrapper would not accept: (field, text for the page)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _field(form: Mapping[str, str], key: str, pattern: re.Pattern[str], what: str) -> str:
    value = (form.get(key) or "").strip()
    if value and not pattern.fullmatch(value):
        raise Invalid(key, what)
    return value


def run_container(form: Mapping[str, str]) -> tuple[list[str], None]:
    """``ie-podman run --detach`` from the run form."""
    image = _field(form, "image", IMAGE, IMAGE_TEXT)
    if not image:
        raise Invalid("image", IMAGE_TEXT)
    argv = ["ie-podman", "run", "--detach"]
    name = _field(form, "name", NAME, NAME_TEXT)
    if name:
        argv += ["--name", name]
    if form.get("ip") == "on":
        argv.append("--ip")
    gpus = _field(form, "gpu", COUNT, N_("a number of GPUs, like 1"))
    if gpus:
        argv += ["--gpu", gpus]
    return [*argv, "--", image], None


def define_vm(form: Mapping[str, str]) -> tuple[list[str], None]:
    """``ie-virsh define`` from the VM form."""
    template = _field(form, "template", NAME, N_("one of the templates"))
    name = _field(form, "name", NAME, NAME_TEXT)
    if not template:
        raise Invalid("template", N_("one of the templates"))
    if not name:
        raise Invalid("name", NAME_TEXT)
    argv = ["ie-virsh", "define", "--template", template]
    for key, pattern, what in (
        ("vcpus", COUNT, N_("a number of vCPUs, like 2")),
        ("memory", MEMORY, N_("MiB, or a size like 2G")),
        ("disk", COUNT, N_("GiB, like 20")),
    ):
        value = _field(form, key, pattern, what)
        if value:
            argv += [f"--{key}", value]
    return [*argv, "--", name], None


def submit_job(form: Mapping[str, str]) -> tuple[list[str], str]:
    """``sbatch`` with the script on its standard input: (argv, script)."""
    script = (form.get("script") or "").replace("\r\n", "\n")
    if not script.startswith("#!"):
        raise Invalid("script", N_("a job script starts with #!, like #!/bin/bash"))
    if len(script.encode()) > MAX_SCRIPT or "\0" in script:
        raise Invalid("script", N_("a job script of at most 64 KiB of text"))
    argv = ["sbatch"]
    template = _field(form, "container", NAME, N_("one of the container templates"))
    if template:
        argv.append(f"--container={template}")
    return argv, script


def share_image(form: Mapping[str, str]) -> tuple[list[str], None]:
    """``ie-podman registry share IMAGE USER``: read-only for USER."""
    image = _field(form, "image", IMAGE, IMAGE_TEXT)
    user = _field(form, "user", LOGIN, N_("another student's login name"))
    if not image:
        raise Invalid("image", IMAGE_TEXT)
    if not user:
        raise Invalid("user", N_("another student's login name"))
    return ["ie-podman", "registry", "share", "--", image, user], None


def pull_shared(form: Mapping[str, str]) -> tuple[list[str], None]:
    """``ie-podman pull OWNER/IMAGE[:TAG]``: the student's own copy of an
    image OWNER shared with them, which they can then run."""
    what = N_("an image shared with you, like student1/web:1.0")
    image = _field(form, "image", SHARED, what)
    if not image:
        raise Invalid("image", what)
    return ["ie-podman", "pull", "--", image], None


# The forms by the page they are on and their verb (POST /KIND/VERB).
FORMS = {
    ("containers", "run"): run_container,
    ("vms", "define"): define_vm,
    ("images", "share"): share_image,
    ("registry", "pull"): pull_shared,
    ("jobs", "submit"): submit_job,
}
