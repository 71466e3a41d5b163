"""Issue 27's preflight: the container templates of slurm_templates are
refused, before any host changes, when a job script could not use them."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.ie.cluster.plugins.plugin_utils.slurm_templates import (
    gpu_request,
    image_reference,
    memory_mb,
)
from test_preflight import GROUPS, valid

from filter_plugins.preflight import VARIABLES, preflight_problems

REGISTRY = "registry01:5000"
TEMPLATES = [
    {
        "name": "pytorch",
        "image": "templates/pytorch:2.5",
        "cpus": 4,
        "mem": "800M",
        "gpus": "tesla:1",
        "time": "2:00:00",
        "comment": "PyTorch 2.5",
    },
    {"name": "busybox", "image": f"{REGISTRY}/templates/busybox@sha256:{'a' * 64}"},
]


def view_with(templates):
    view = copy.deepcopy(valid())
    view["hosts"]["gs01"]["slurm_templates"] = templates
    view["hosts"]["gs01"]["ie_podman_registry"] = REGISTRY
    return view


def problems(templates):
    return preflight_problems(view_with(templates), GROUPS)


def changed(i, **change):
    templates = copy.deepcopy(TEMPLATES)
    templates[i].update(change)
    return templates


def test_the_preflight_reads_the_templates_and_the_registry():
    assert {"slurm_templates", "ie_podman_registry"} <= set(VARIABLES)


def test_valid_templates_pass():
    assert problems(TEMPLATES) == []
    assert problems([]) == []


@pytest.mark.parametrize(
    "templates, expected",
    [
        ([*TEMPLATES, dict(TEMPLATES[1])], "the template busybox is listed twice"),
        (changed(0, name="alice/img"), "entry 1's name 'alice/img' cannot be a job option value"),
        (changed(0, name="PyTorch"), "entry 1's name 'PyTorch'"),
        (changed(0, name="a" * 33), "32 at most"),
        (changed(0, name=""), "entry 1's name ''"),
        (changed(0, name="pytorch\n"), "entry 1's name 'pytorch\\n'"),
        (changed(0, image="docker.io/pytorch/pytorch:2.5"), "not an image of the department"),
        (changed(0, image="ghcr.io/x/y"), "registry (registry01:5000)"),
        (changed(0, image="registry01:5001/templates/x"), "not an image of the department"),
        (changed(0, image="Templates/X"), "not an image of the department"),
        (changed(0, image="x:y:z"), "not an image of the department"),
        (changed(0, cpus=9), "cpus 9 is more than any node has (8)"),
        (changed(0, cpus=0), "cpus 0 must be a whole number of at least 1"),
        (changed(0, cpus="4"), "cpus '4' must be a whole number"),
        (changed(0, mem="2G"), "mem 2G is more than any node has (1000 MB)"),
        (changed(0, mem="lots"), "mem 'lots' is not a size Slurm reads"),
        (changed(0, gpus="a100:1"), "no node has GPUs of type 'a100' (the nodes have: tesla)"),
        (changed(0, gpus="tesla:2"), "gpus 2 is more than any node has of tesla (1)"),
        (changed(0, gpus="one"), "gpus 'one' is not TYPE:COUNT or COUNT"),
        (changed(0, time="8-00:00:00"), "longer than slurm_controller_max_time"),
        (changed(0, time="soon"), "time 'soon' is not a Slurm time"),
        (changed(0, time="UNLIMITED"), "time must be a limit"),
        (changed(0, comment="two\nlines"), "comment must be one line"),
        (changed(0, gpu="tesla:1"), "unknown key(s) gpu"),
        ({"pytorch": {}}, "is not a list of templates"),
        (["pytorch"], "entry 1 is not a mapping"),
    ],
)
def test_each_mistake_is_named_with_the_variable_and_the_host(templates, expected):
    found = problems(templates)
    assert any(expected in p for p in found), found
    assert all(p.startswith("slurm_templates (host gs01)") for p in found), found


def test_a_node_without_gpus_has_no_gpu_type():
    view = view_with(changed(0, gpus="tesla:1"))
    for host in ("gs01", "gs02", "gs03"):
        view["hosts"][host]["slurm_node_hardware"]["gpus"] = 0
    found = preflight_problems(view, GROUPS)
    assert any("(the nodes have: none)" in p for p in found), found


def test_image_references():
    assert image_reference("templates/pytorch:2.5", REGISTRY) == ("templates/pytorch", "2.5")
    assert image_reference("busybox", REGISTRY) == ("busybox", "latest")
    assert image_reference(f"{REGISTRY}/a/b", REGISTRY) == ("a/b", "latest")
    digest = "sha256:" + "0" * 64
    assert image_reference(f"a/b:1@{digest}", REGISTRY) == ("a/b", "@" + digest)
    # a first component without a dot or port is a path, not a host
    assert image_reference("templates/x", "templates") == ("templates/x", "latest")
    assert image_reference("localhost/x", REGISTRY) is None
    assert image_reference("a//b", REGISTRY) is None
    # matched whole: a trailing newline is not a reference
    assert image_reference("templates/x:1\n", REGISTRY) is None
    # the Distribution grammar's separators, as the nodes' module reads them too
    assert image_reference("a__b/c--d:1", REGISTRY) == ("a__b/c--d", "1")


def test_sizes_and_gpu_requests():
    assert memory_mb("512M") == 512 and memory_mb("4G") == 4096 and memory_mb(2000) == 2000
    assert memory_mb("1T") == 1024 * 1024
    assert memory_mb("0") is None and memory_mb("4GB") is None
    assert gpu_request("tesla:2", "x") == ("tesla", 2)
    assert gpu_request(1, "tesla") == ("tesla", 1)
    assert gpu_request(0, "") == ("", 0)
    assert gpu_request("tesla", "x") is None
