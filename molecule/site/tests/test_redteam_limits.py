"""Issue 21's red team: limits, leases, root's memory (conftest.py says how the red team acts)."""

import ipaddress
import json
import shlex

import pytest
from students import (
    CONTAINERFILE,
    GS01,
    GS02,
    LIMITED,
    OWNER,
    THIRD,
    as_user,
    as_user_on,
    config,
    defined,
    host_state,
    iep,
    iev,
    limited_quota,
    ok,
    owned,
    parallel,
    uid,
)

# -- 3. limits taken as one step: eight commands at once, two students at once -------------


def test_eight_parallel_runs_stay_within_the_container_limit():
    limit = limited_quota()["containers"]
    parallel((LIMITED, "ie-podman run -d --name p{i} box", 8))
    assert len(owned(LIMITED)) == limit, owned(LIMITED)
    for name in owned(LIMITED):
        ok(iep(LIMITED, f"rm --force {name.split('_', 1)[1]}"))


def test_eight_parallel_builds_stay_within_the_image_limit():
    limit = limited_quota()["images"]
    had = len(json.loads(ok(iep(LIMITED, "images --format json"))))
    for i in range(8):  # eight different images: a label each
        label = f"echo 'LABEL n={i}' >> b{i}/Containerfile"
        ok(as_user(LIMITED, f"rm -rf b{i} && cp -r rt b{i} && {label}"))
    parallel((LIMITED, "ie-podman build --tag img{i} b{i}", 8))
    mine = json.loads(ok(iep(LIMITED, "images --format json")))
    assert len(mine) == limit > had, mine
    podman_side = GS01.check_output(
        f"podman images --filter label=ie.owner.uid={uid(LIMITED)} --format '{{{{.Id}}}}' | sort -u"
    )
    assert len(podman_side.split()) == limit, podman_side
    for image in mine:
        if image["image"].startswith("img"):
            ok(iep(LIMITED, f"rmi {image['image']}"))


def test_addresses_raced_by_two_students_are_distinct_and_within_the_limit():
    cfg = config("ie-podman")
    pool = range(
        int(ipaddress.ip_address(cfg["pool_start"])), int(ipaddress.ip_address(cfg["pool_end"])) + 1
    )
    parallel(
        (LIMITED, "ie-podman run -d --ip --name a{i} box", 8),
        (THIRD, "ie-podman run -d --ip --name a{i} box", 4),
    )
    leases = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    ours = {
        x["container"]: x["address"]
        for x in leases
        if x["container"].split("_")[0] in (LIMITED, THIRD)
    }
    # student3's leases count against their container limit; student2 got all four
    assert sorted(ours) == sorted(owned(LIMITED) + owned(THIRD)), (ours, leases)
    assert len(owned(LIMITED)) == limited_quota()["containers"] and len(owned(THIRD)) == 4, ours
    addresses = [x["address"] for x in leases]
    assert len(set(addresses)) == len(addresses), leases
    assert all(int(ipaddress.ip_address(a)) in pool for a in ours.values()), ours
    for user in (LIMITED, THIRD):
        for name in owned(user):
            ok(iep(user, f"rm --force {name.split('_', 1)[1]}"))
    remaining = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    assert not [x for x in remaining if x["container"] in ours], remaining


def test_limits_are_per_server():
    """The documented choice: a student's limits hold on each general server
    by itself (each has its own Podman, libvirt, locks and counts)."""
    limit = limited_quota()["containers"]
    for i in range(limit):
        ok(iep(LIMITED, f"run -d --name full{i} box"))
    before = host_state()
    over = iep(LIMITED, "run -d --name over box")
    assert over.rc == 125 and "your limit" in over.stderr, over.stderr  # run's own error
    assert host_state() == before
    # the same student on gs02, with none there: the first is accepted
    there = as_user_on(GS02, LIMITED, "sudo -n ie-podman ps --all --format json")
    assert json.loads(ok(there)) == []
    build = (
        f"mkdir -p rt2 && cp /bin/busybox rt2/ && printf %s {shlex.quote(CONTAINERFILE)} "
        "> rt2/Containerfile && sudo -n ie-podman build --tag box rt2 >/dev/null && "
        "sudo -n ie-podman run -d --name elsewhere box && sudo -n ie-podman rm --force elsewhere"
        " && sudo -n ie-podman rmi box; rm -rf rt2"
    )
    ok(as_user_on(GS02, LIMITED, build))
    for i in range(limit):
        ok(iep(LIMITED, f"rm --force full{i}"))


@pytest.mark.parametrize(
    ("define", "key", "each"),
    [
        ("--memory 64 --disk 1", "vms", 1),
        ("--vcpus 2 --memory 64 --disk 1", "vcpus", 2),
        ("--memory 512 --disk 1", "memory_mib", 512),
        ("--memory 64 --disk 3", "disk_gib", 3),
    ],
    ids=["vms", "vcpus", "memory", "disk"],
)
def test_eight_parallel_defines_stay_within_each_vm_limit(define, key, each):
    limit = config("ie-virsh")["user_limits"][LIMITED][key]
    parallel((LIMITED, f"ie-virsh define v{{i}} --template rt {define}", 8))
    mine = defined(LIMITED)
    assert len(mine) == limit // each, mine
    for d in mine:
        ok(iev(LIMITED, f"undefine {d['name']}"))


def test_a_shrunk_running_vm_keeps_its_share():
    vcpus = config("ie-virsh")["user_limits"][LIMITED]["vcpus"]  # 3
    ok(iev(LIMITED, f"define big --template rt --vcpus {vcpus - 1} --memory 64 --disk 1"))
    ok(iev(LIMITED, "start big"))
    ok(iev(LIMITED, "edit big --vcpus 1"))  # stored 1, live vcpus - 1
    before = host_state()
    result = iev(LIMITED, "define more --template rt --vcpus 2 --memory 64 --disk 1")
    assert result.rc == 5, result.stderr
    assert host_state() == before
    listed = json.loads(ok(iev(LIMITED, "list --format json")))
    assert listed[0]["vcpus"] == vcpus - 1  # the live size
    ok(iev(LIMITED, "destroy big"))
    ok(iev(LIMITED, "undefine big"))


# -- 4. leases come back ----------------------------------------------------------------------


def test_addresses_of_ended_rm_containers_come_back():
    for i in range(3):
        ok(iep(OWNER, f"run -d --rm --ip --name gone{i} box /bin/busybox true"))
    as_user(OWNER, "sleep 3")
    out = ok(iep(OWNER, "run -d --ip --name kept box")).split()
    assert len(out) == 2  # name and address
    leases = json.loads(GS01.check_output("ie-podman admin leases --format json"))
    assert [x["container"] for x in leases if x["container"].startswith(f"{OWNER}_")] == [
        f"{OWNER}_kept"
    ], leases
    ok(iep(OWNER, "rm --force kept"))


# -- 7. root's memory stays bounded -------------------------------------------------------------

PEAK = r"""
import os, subprocess, sys, time
proc = subprocess.Popen(sys.argv[1:])
peak = 0
def descendants(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for kid in kids:
            out += [int(kid)] + descendants(int(kid))
    return out
while proc.poll() is None:
    for pid in descendants(proc.pid):
        try:
            cmd = open(f"/proc/{pid}/cmdline").read()
            if "python" in cmd and "ie-podman" in cmd:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    time.sleep(0.05)
print(proc.returncode, peak)
"""


def test_copying_a_large_sparse_file_keeps_roots_memory_small():
    ok(iep(OWNER, "run -d --name sink box"))
    ok(as_user(OWNER, "truncate -s 512M big.img"))
    GS01.check_output(f"printf %s {shlex.quote(PEAK)} > /tmp/peak.py")
    out = ok(as_user(OWNER, "python3 /tmp/peak.py sudo -n ie-podman cp big.img sink:/tmp/")).split()
    rc, peak_kib = int(out[0]), int(out[1])
    assert rc == 0
    assert 0 < peak_kib < 100 * 1024, f"root's ie-podman reached {peak_kib} KiB"
    ok(iep(OWNER, "rm --force sink"))
    as_user(OWNER, "rm -f big.img")
    GS01.run("rm -f /tmp/peak.py")
