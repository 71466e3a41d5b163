import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from filter_plugins.slurm import (
    FilterModule,
    slurm_gres_lines,
    slurm_hostlist,
    slurm_hostlist_expand,
    slurm_node_lines,
    slurm_state,
    slurm_time_minutes,
)

GS = {
    "sockets": 2,
    "cores_per_socket": 22,
    "threads_per_core": 2,
    "real_memory": 500000,
    "gpus": 1,
    "gpu_type": "tesla",
}
SMALL = {"sockets": 1, "cores_per_socket": 2, "threads_per_core": 1, "real_memory": 1000}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["gs01", "gs02", "gs03", "gs04"], "gs[01-04]"),
        (["gs04", "gs01", "gs02"], "gs[01-02,04]"),
        (["gs01"], "gs01"),
        (["st01", "gs01", "gs02"], "gs[01-02],st01"),
        (["login", "gs01"], "gs01,login"),
        (["node9", "node10", "node11"], "node9,node[10-11]"),
        (["n09", "n10"], "n[09-10]"),
        (["gs01", "gs01"], "gs01"),
        (["a1b2", "a1b3"], "a1b[2-3]"),
    ],
)
def test_hostlist_compression(names, expected):
    assert slurm_hostlist(names) == expected


def test_hostlist_refuses_bad_names_and_strings():
    with pytest.raises(AnsibleFilterError, match="not a valid host name"):
        slurm_hostlist(["gs01", "bad name"])
    with pytest.raises(AnsibleFilterError, match="got a string"):
        slurm_hostlist("gs01")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("gs[01-03]", ["gs01", "gs02", "gs03"]),
        ("gs[01-02,04],st01", ["gs01", "gs02", "gs04", "st01"]),
        ("login", ["login"]),
        ("n[9-10]", ["n9", "n10"]),
    ],
)
def test_hostlist_expansion(expression, expected):
    assert slurm_hostlist_expand(expression) == expected


@pytest.mark.parametrize("bad", ["gs[01-", "gs[a-b]", "gs[05-01]", "gs]01["])
def test_hostlist_expansion_refuses_garbage(bad):
    with pytest.raises(AnsibleFilterError):
        slurm_hostlist_expand(bad)


names = st.lists(
    st.builds(
        lambda p, n, w: f"{p}{n:0{w}d}",
        st.sampled_from(["gs", "st", "node", "gpu-a"]),
        st.integers(min_value=0, max_value=300),
        st.integers(min_value=1, max_value=4),
    ),
    min_size=1,
    max_size=60,
)


@given(names)
def test_compress_then_expand_gives_back_the_same_hosts(hosts):
    assert sorted(slurm_hostlist_expand(slurm_hostlist(hosts))) == sorted(set(hosts))


def test_identical_hardware_shares_one_node_line():
    hv = {h: {"slurm_node_hardware": GS} for h in ("gs01", "gs02", "gs03", "gs04")}
    assert slurm_node_lines(["gs01", "gs02", "gs03", "gs04"], hv) == [
        "NodeName=gs[01-04] CPUs=88 Boards=1 SocketsPerBoard=2 CoresPerSocket=22 "
        "ThreadsPerCore=2 RealMemory=500000 Gres=gpu:tesla:1 State=UNKNOWN"
    ]


def test_different_hardware_gets_its_own_line_and_order_is_stable():
    hv = {
        "gs01": {"slurm_node_hardware": GS},
        "gs02": {"slurm_node_hardware": SMALL | {"features": ["lab", "avx"], "weight": 5}},
        "gs03": {"slurm_node_hardware": GS},
    }
    lines = slurm_node_lines(["gs03", "gs02", "gs01"], hv)
    assert lines == [
        "NodeName=gs[01,03] CPUs=88 Boards=1 SocketsPerBoard=2 CoresPerSocket=22 "
        "ThreadsPerCore=2 RealMemory=500000 Gres=gpu:tesla:1 State=UNKNOWN",
        "NodeName=gs02 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 "
        "ThreadsPerCore=1 RealMemory=1000 Features=avx,lab Weight=5 State=UNKNOWN",
    ]
    # Same inventory, other host order (as --limit may give): the same file.
    assert slurm_node_lines(["gs01", "gs02", "gs03"], hv) == lines


def test_gpu_type_defaults_to_the_cluster_wide_name():
    hw = SMALL | {"gpus": 2}
    lines = slurm_node_lines(["a1"], {"a1": {"slurm_node_hardware": hw}}, gpu_type="tesla")
    assert "Gres=gpu:tesla:2" in lines[0]


def test_gres_lines_name_every_device_file():
    hv = {
        "gs01": {"slurm_node_hardware": GS | {"gpus": 2}},
        "gs02": {"slurm_node_hardware": GS | {"gpus": 2}},
        "st01": {"slurm_node_hardware": SMALL},
    }
    assert slurm_gres_lines(["gs01", "gs02", "st01"], hv) == [
        "NodeName=gs[01-02] Name=gpu Type=tesla File=/dev/nvidia0",
        "NodeName=gs[01-02] Name=gpu Type=tesla File=/dev/nvidia1",
    ]


def test_what_the_nvidia_role_found_wins_over_the_inventory():
    hv = {
        # the inventory says one GPU each; gs02's is gone, gs03 has a second one
        "gs01": {"slurm_node_hardware": GS, "nvidia_gpu_devices": ["/dev/nvidia0"]},
        "gs02": {"slurm_node_hardware": GS, "nvidia_gpu_devices": []},
        "gs03": {"slurm_node_hardware": GS, "nvidia_gpu_devices": ["/dev/nvidia0", "/dev/nvidia1"]},
        # not in this run (--limit): the inventory stands
        "gs04": {"slurm_node_hardware": GS},
    }
    hosts = ["gs01", "gs02", "gs03", "gs04"]
    assert slurm_gres_lines(hosts, hv) == [
        "NodeName=gs[01,04] Name=gpu Type=tesla File=/dev/nvidia0",
        "NodeName=gs03 Name=gpu Type=tesla File=/dev/nvidia0",
        "NodeName=gs03 Name=gpu Type=tesla File=/dev/nvidia1",
    ]
    lines = {line.split()[0]: line for line in slurm_node_lines(hosts, hv)}
    assert "Gres" not in lines["NodeName=gs02"]
    assert "Gres=gpu:tesla:2" in lines["NodeName=gs03"]


def test_gres_lines_use_given_device_files():
    hw = GS | {"gpu_files": ["/dev/nvidia3"]}
    assert slurm_gres_lines(["gs01"], {"gs01": {"slurm_node_hardware": hw}}) == [
        "NodeName=gs01 Name=gpu Type=tesla File=/dev/nvidia3"
    ]


@pytest.mark.parametrize(
    ("hw", "message"),
    [
        ({**SMALL, "sockets": 0}, "sockets must be a positive integer"),
        ({**SMALL, "real_memory": "lots"}, "real_memory must be a positive integer"),
        ({k: v for k, v in SMALL.items() if k != "cores_per_socket"}, "missing cores_per_socket"),
        ({**SMALL, "cpus": 4}, "unknown hardware keys"),
        ({**SMALL, "gpus": 2, "gpu_files": ["/dev/nvidia0"]}, "must list 2 device"),
        ({**SMALL, "gpus": 1, "gpu_files": ["/dev/../etc/passwd"]}, "bad device path"),
        ({**SMALL, "gpus": 1, "gpu_type": "tes la"}, "bad gpu_type"),
        ({**SMALL, "features": ["ok", "not ok"]}, "bad feature"),
        ("2 sockets", "must be a dict"),
    ],
)
def test_bad_hardware_is_refused_naming_the_host(hw, message):
    with pytest.raises(AnsibleFilterError, match=message) as err:
        slurm_node_lines(["gs07"], {"gs07": {"slurm_node_hardware": hw}})
    assert "gs07" in str(err.value)


def test_host_without_hardware_is_refused():
    with pytest.raises(AnsibleFilterError, match="has no slurm_node_hardware"):
        slurm_node_lines(["gs01"], {"gs01": {}})


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "slurm_hostlist",
        "slurm_hostlist_expand",
        "slurm_node_lines",
        "slurm_gres_lines",
        "slurm_time_minutes",
        "slurm_state",
        "slurm_templates",
    }


@pytest.mark.parametrize(
    ("printed", "state"),
    [
        ("mixed-\n", "mixed"),  # a waiting job is planned on it (backfill): still in service
        ("idle$", "idle"),
        ("allocated@", "allocated"),
        ("mixed", "mixed"),
        ("idle*", "idle*"),  # not responding: takes no jobs
        ("idle~", "idle~"),  # powered off
        ("drained", "drained"),
        ("down*", "down*"),
    ],
)
def test_slurm_state_drops_only_the_flags_of_a_node_in_service(printed, state):
    assert slurm_state(printed) == state


@pytest.mark.parametrize(("text", "minutes"), [("1-00:00:00", 1440), ("01:00:00", 60), ("", None)])
def test_time_minutes(text, minutes):
    assert slurm_time_minutes(text) == minutes


def test_time_minutes_refuses_garbage_with_the_filter_name():
    with pytest.raises(AnsibleFilterError, match="slurm_time_minutes: not a Slurm time"):
        slurm_time_minutes("one day")


def test_templates_get_their_full_reference_and_slurms_units():
    from filter_plugins.slurm import slurm_templates

    pinned = "sha256:" + "c" * 64
    full, bare = slurm_templates(
        [
            {
                "name": "t",
                "image": "templates/t:2",
                "cpus": 2,
                "mem": "2G",
                "gpus": 1,
                "time": "1-00:00:00",
                "comment": "c",
            },
            {"name": "b", "image": f"registry01:5000/x/b@{pinned}"},
        ],
        "registry01:5000",
        "tesla",
    )
    assert full["ref"] == "registry01:5000/templates/t:2" and full["image"] == "templates/t:2"
    assert (full["cpus"], full["mem_mb"], full["minutes"]) == (2, 2048, 1440)
    assert full["gpus"] == "tesla:1" and full["gres"] == "gres/gpu:tesla:1"
    assert bare["ref"] == f"registry01:5000/x/b@{pinned}"
    assert [bare[k] for k in ("cpus", "mem_mb", "gpus", "gres", "minutes")] == [None] * 5
    with pytest.raises(AnsibleFilterError, match="is not in registry01:5000"):
        slurm_templates([{"name": "d", "image": "docker.io/library/debian"}], "registry01:5000")
