"""Names: no two (user, name) pairs ever give the same Podman name."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ie_common import naming as common
from ie_common.errors import UsageError
from ie_podman import naming

users = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}\$?", fullmatch=True)
names = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}", fullmatch=True)
PODMAN_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@given(users, names, users, names)
def test_container_names_never_collide(u1, n1, u2, n2):
    if (u1, n1) != (u2, n2):
        assert naming.container_name(u1, n1) != naming.container_name(u2, n2)


@given(users, names)
def test_container_name_reads_back_and_is_a_podman_name(user, name):
    full = naming.container_name(user, name)
    assert PODMAN_NAME.match(full)
    assert naming.split_container_name(full) == (user, name)


@given(users)
def test_encoded_user_has_no_separator_and_is_an_image_component(user):
    encoded = common.encode_user(user)
    assert "_" not in encoded
    assert naming.IMAGE_COMPONENT_RE.match(encoded)
    assert common.decode_user(encoded) == user


@given(users, users)
def test_image_namespaces_never_collide(u1, u2):
    if u1 != u2:
        assert naming.image_ref(u1, "web") != naming.image_ref(u2, "web")


def test_the_known_collision_of_naive_joining_is_avoided():
    # "a_b" + "c" and "a" + "b_c" would both be "a_b_c" when simply joined
    assert naming.container_name("a_b", "c") == "a-ub_c"
    assert naming.container_name("a", "b_c") == "a_b_c"


@pytest.mark.parametrize("bad", ["-x", "_x", "x y", "x/y", "", "a" * 64, "--privileged"])
def test_bad_container_names_are_refused(bad):
    with pytest.raises(UsageError):
        naming.container_name("alice", bad)


@pytest.mark.parametrize(
    "bad", ["bob/web", "localhost/bob/web", "web@sha256:00", "Web", "web:bad tag", "../x", ""]
)
def test_only_plain_image_names_are_accepted(bad):
    with pytest.raises(UsageError):
        naming.image_ref("alice", bad)


def test_image_refs():
    assert naming.image_ref("alice", "web") == "localhost/alice/web:latest"
    assert naming.image_ref("a.b", "web:1.0") == "localhost/a-pb/web:1.0"
    assert naming.display_image("alice", "localhost/alice/web:1.0") == "web:1.0"


@pytest.mark.parametrize("bad", ["Root", "_sys", "-x", "x y"])
def test_unusable_login_names(bad):
    with pytest.raises(UsageError):
        common.encode_user(bad)
