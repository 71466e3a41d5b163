"""The option allow-list."""

import pytest

from ie_common.errors import Refused, UsageError
from ie_podman import allowlist, policy

RUN = allowlist.RUN_OPTIONS


def test_allowed_options_and_the_image_and_command_after_them():
    parsed = policy.parse_options(
        ["-it", "--name=web", "-e", "A=1", "-eB=2", "--ip", "img", "sh", "-c", "--privileged"], RUN
    )
    assert parsed.values == {
        "interactive": True,
        "tty": True,
        "name": "web",
        "env": ["A=1", "B=2"],
        "ip": True,
    }
    # everything after the image is the container's command, untouched
    assert parsed.positionals == ["img", "sh", "-c", "--privileged"]


@pytest.mark.parametrize(
    "option",
    sorted(set(allowlist.HOST_PRIVILEGE) - {o for opt in allowlist.RUN_OPTIONS for o in opt.names}),
)
def test_every_host_privilege_option_is_refused_with_its_reason(option):
    with pytest.raises(Refused) as err:
        policy.parse_options([option, "x", "img"], RUN)
    assert allowlist.HOST_PRIVILEGE[option] in err.value.message
    with pytest.raises(Refused):
        policy.parse_options([f"{option}=x", "img"], RUN)


def test_unknown_options_are_refused_not_passed_on():
    with pytest.raises(Refused) as err:
        policy.parse_options(["--made-up", "img"], RUN)
    assert "--made-up" in err.value.message


def test_combined_short_flags_cannot_smuggle_an_unknown_one():
    with pytest.raises(Refused):
        policy.parse_options(["-itP", "img"], RUN)


def test_a_value_is_required_and_single_options_once():
    with pytest.raises(UsageError):
        policy.parse_options(["--name"], RUN)
    with pytest.raises(UsageError):
        policy.parse_options(["--name", "a", "--name", "b", "img"], RUN)


def test_exec_privileged_is_refused():
    with pytest.raises(Refused) as err:
        policy.parse_options(
            ["--privileged", "c", "sh"],
            allowlist.EXEC_OPTIONS,
            extra_refused=allowlist.PRIVILEGED_EXEC,
        )
    assert "whole host" in err.value.message


@pytest.mark.parametrize("value", ["A", "=x", "1A=2"])
def test_env_needs_key_value(value):
    with pytest.raises(UsageError):
        policy.check_env([value])


@pytest.mark.parametrize("label", ["ie.owner.uid=0", "IE.owner.uid=0", "io.podman.x=1"])
def test_owner_labels_cannot_be_set_by_users(label):
    with pytest.raises(Refused):
        policy.check_labels([label])


def test_ordinary_labels_pass():
    assert policy.check_labels(["course=os", "a.b=c"]) == ["course=os", "a.b=c"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("~/data:/data", ("~/data", "/data", "rw")), ("./d:/d:ro", ("./d", "/d", "ro"))],
)
def test_volume_specs(spec, expected):
    assert policy.split_volume(spec) == expected


@pytest.mark.parametrize("spec", ["data:/d", "vol:/d:ro"])
def test_named_volumes_are_refused(spec):
    with pytest.raises(Refused):
        policy.split_volume(spec)


@pytest.mark.parametrize("spec", ["/home/a:/d:Z", "/home/a:/d:z", "/home/a:/d:U", "/a:/b:rw,U"])
def test_mount_options_that_change_host_files_are_refused(spec):
    with pytest.raises(Refused):
        policy.split_volume(spec)


@pytest.mark.parametrize("spec", ["/a", "/a:rel", "/a:/b:ro:x"])
def test_malformed_volumes(spec):
    with pytest.raises(UsageError):
        policy.split_volume(spec)


@pytest.mark.parametrize(("key", "value"), [("memory", "lots"), ("cpus", "1;2"), ("pull", "x")])
def test_limits_are_checked(key, value):
    with pytest.raises(UsageError):
        policy.check_values({key: value})


def test_help_lists_every_allowed_option():
    text = "\n".join(names for names, _ in allowlist.option_rows(RUN))
    for opt in RUN:
        assert opt.names[0] in text
