"""subid_lines: stable, disjoint subordinate ID ranges."""

import itertools

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from filter_plugins.subids import FilterModule, subid_conflicts, subid_lines


def test_ranges_follow_from_the_uid():
    users = [{"name": "bob", "uid": 2002}, {"name": "alice", "uid": 2001}]
    assert subid_lines(users) == ["alice:65701536:65536", "bob:65767072:65536"]
    assert subid_lines(users, base=200000, min_uid=2000) == [
        "alice:265536:65536",
        "bob:331072:65536",
    ]


@given(st.sets(st.integers(min_value=1000, max_value=60000), min_size=2, max_size=20))
def test_ranges_never_overlap(uids):
    lines = subid_lines([{"name": f"u{u}", "uid": u} for u in uids])
    spans = sorted((int(s), int(s) + int(c)) for _, s, c in (x.split(":") for x in lines))
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


@pytest.mark.parametrize(
    "users",
    [
        [{"name": "root", "uid": 0}],
        [{"name": "a", "uid": 1001}, {"name": "a", "uid": 1002}],
        [{"name": "a", "uid": 1001}, {"name": "b", "uid": 1001}],
        [{"name": "Bad Name", "uid": 1001}],
        [{"name": "a"}],
        [{"name": "a", "uid": "1001"}],
        [{"name": "huge", "uid": 70000}],
        "alice",
    ],
)
def test_bad_input_is_refused(users):
    with pytest.raises(AnsibleFilterError):
        subid_lines(users)


def test_too_small_a_range_is_refused():
    with pytest.raises(AnsibleFilterError):
        subid_lines([{"name": "a", "uid": 1001}], count=1000)


def test_registered():
    assert FilterModule().filters()["subid_lines"] is subid_lines


def test_conflicts_are_unmanaged_ranges_in_the_formula_space():
    text = (
        "alice:100000:65536\n"  # useradd's automatic range for a local account
        "carol:65701536:65536\n"  # written by the role (managed)
        "legacy:50000:65536\n"  # starts below the base but reaches into it
        "old:20000:1000\n"  # wholly below the base
        "empty:200000:0\n"  # no IDs at all
        "\n# a comment\nbroken:line\n"
    )
    assert subid_conflicts(text, ["carol"], 100000) == ["alice:100000:65536", "legacy:50000:65536"]
    assert subid_conflicts(text, ["carol", "alice", "legacy"], 100000) == []
    assert FilterModule().filters()["subid_conflicts"] is subid_conflicts


@given(st.integers(min_value=1000, max_value=60000))
def test_the_roles_own_lines_never_conflict(uid):
    (line,) = subid_lines([{"name": "u", "uid": uid}])
    assert subid_conflicts(line, ["u"]) == []
    assert subid_conflicts(line, []) == [line]
