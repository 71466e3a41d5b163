import pytest
from ansible.errors import AnsibleFilterError

from filter_plugins.cluster_hosts import (
    FilterModule,
    cluster_hosts,
    hosts_entries_problems,
    hosts_file_lines,
)

HOSTVARS = {
    "gs02": {"cluster_address": "10.0.0.12"},
    "gs01": {"cluster_address": "10.0.0.11"},
    "st01": {"cluster_address": "10.0.0.9"},
}


def test_entries_sorted_numerically_by_address_with_fqdn_first():
    entries = cluster_hosts(["gs02", "gs01", "st01"], HOSTVARS, domain="ie.example")
    assert entries == [
        {"name": "st01.ie.example", "address": "10.0.0.9", "aliases": ["st01"]},
        {"name": "gs01.ie.example", "address": "10.0.0.11", "aliases": ["gs01"]},
        {"name": "gs02.ie.example", "address": "10.0.0.12", "aliases": ["gs02"]},
    ]


def test_without_domain_the_short_name_stands_alone():
    assert cluster_hosts(["gs01"], HOSTVARS) == [
        {"name": "gs01", "address": "10.0.0.11", "aliases": []}
    ]


def test_a_host_in_several_groups_appears_once():
    assert len(cluster_hosts(["gs01", "gs01", "gs02"], HOSTVARS)) == 2


def test_another_address_variable_can_be_used():
    hv = {"a": {"storage_address": "fd00::2"}, "b": {"storage_address": "10.1.0.1"}}
    entries = cluster_hosts(["a", "b"], hv, address_var="storage_address")
    assert [e["address"] for e in entries] == ["10.1.0.1", "fd00::2"]


@pytest.mark.parametrize(
    ("hosts", "hostvars", "message"),
    [
        (["gs09"], HOSTVARS, "not in the inventory"),
        (["x"], {"x": {}}, "has no cluster_address"),
        (["x"], {"x": {"cluster_address": "10.0.0.300"}}, "not an IP address"),
        (
            ["a", "b"],
            {"a": {"cluster_address": "10.0.0.1"}, "b": {"cluster_address": "10.0.0.1"}},
            "same cluster_address",
        ),
        (["bad_name"], {"bad_name": {"cluster_address": "10.0.0.1"}}, "not a valid host name"),
        ("gs01", HOSTVARS, "expected a list"),
    ],
)
def test_bad_inventory_is_refused_with_a_message_naming_the_host(hosts, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cluster_hosts(hosts, hostvars)


def test_bad_domain_is_refused():
    with pytest.raises(AnsibleFilterError, match="valid DNS domain"):
        cluster_hosts(["gs01"], HOSTVARS, domain="bad domain")


def test_hosts_file_lines():
    lines = hosts_file_lines(cluster_hosts(["gs01", "st01"], HOSTVARS, domain="ie.example"))
    assert lines == ["10.0.0.9\tst01.ie.example st01", "10.0.0.11\tgs01.ie.example gs01"]


def test_hosts_file_lines_refuses_entries_without_address():
    with pytest.raises(AnsibleFilterError, match="'name' and 'address'"):
        hosts_file_lines([{"name": "x"}])


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["cluster_hosts"] is cluster_hosts
    assert filters["hosts_file_lines"] is hosts_file_lines
    assert filters["hosts_entries_problems"] is hosts_entries_problems


def test_well_formed_entries_have_no_problems():
    entries = cluster_hosts(["gs02", "gs01", "st01"], HOSTVARS, domain="ie.example")
    assert hosts_entries_problems(entries) == []
    assert hosts_entries_problems([]) == []


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "gs01", "address": "10.0.0.300"},
        {"name": "gs01", "address": "10.0.0.1/24"},
        {"name": "gs01", "address": "fe80::1%eth0"},
        {"name": "gs01", "address": "010.0.0.1"},
        {"name": "gs01", "address": None},
        {"name": "gs01"},
        {"name": "-gs01", "address": "10.0.0.1"},
        {"name": "gs01.", "address": "10.0.0.1"},
        {"name": "gs 01", "address": "10.0.0.1"},
        {"name": "gs01\n", "address": "10.0.0.1"},
        {"address": "10.0.0.1"},
        "gs01 10.0.0.1",
    ],
)
def test_a_malformed_entry_is_named(entry):
    good = {"name": "st01", "address": "10.0.0.9"}
    problems = hosts_entries_problems([good, entry])
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"base_cluster_hosts entry {entry} is not valid"), problems


def test_names_and_addresses_given_twice_are_named_once_each():
    entries = [
        {"name": "a", "address": "10.0.0.1"},
        {"name": "b", "address": "10.0.0.1"},
        {"name": "a", "address": "10.0.0.2"},
        {"name": "c", "address": "::1"},
    ]
    assert hosts_entries_problems(entries) == [
        "base_cluster_hosts repeats a name or an address (a 10.0.0.1): two hosts in the"
        " inventory share a cluster_address or a name."
    ]


def test_not_a_list_is_a_problem_itself():
    assert hosts_entries_problems({"name": "a"}) == [
        "base_cluster_hosts must be a list of {name, address}, not {'name': 'a'}"
    ]
    assert hosts_entries_problems("a", variable="v")[0].startswith("v must be a list")
