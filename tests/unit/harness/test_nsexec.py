"""tools/harness/nsexec.py: commands enter a test container as podman exec
would put them there (namespaces, cgroups, environment), or it answers None
and podman exec does it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tools.harness import nsexec

MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
90 80 0:32 /libpod_parent /var/lib/x/memory rw - cgroup cgroup rw,memory
"""
CTR = "/libpod_parent/libpod-abc"
PROC_CGROUP = f"""\
12:hugetlb:/
4:memory:{CTR}
2:cpu,cpuacct:{CTR}
1:name=systemd:{CTR}/init.scope
0::{CTR}/init.scope
"""


def test_the_cgroup_hierarchies_mounted_whole():
    mounts = nsexec.cgroup_mounts(MOUNTINFO)
    assert mounts == {
        frozenset({"cpu", "cpuacct"}): "/sys/fs/cgroup/cpu,cpuacct",
        frozenset({"memory"}): "/sys/fs/cgroup/memory",  # not the bind mount of a subtree
        frozenset({"name=systemd"}): "/sys/fs/cgroup/systemd",
        frozenset(): "/sys/fs/cgroup/unified",
    }


def test_the_containers_cgroup_then_init_scope_and_unmounted_ones_left_out():
    files = nsexec.procs_files(PROC_CGROUP, nsexec.cgroup_mounts(MOUNTINFO))
    assert files == (
        (f"/sys/fs/cgroup/memory{CTR}/cgroup.procs",),
        (f"/sys/fs/cgroup/cpu,cpuacct{CTR}/cgroup.procs",),
        (
            f"/sys/fs/cgroup/systemd{CTR}/cgroup.procs",
            f"/sys/fs/cgroup/systemd{CTR}/init.scope/cgroup.procs",
        ),
        (
            f"/sys/fs/cgroup/unified{CTR}/cgroup.procs",
            f"/sys/fs/cgroup/unified{CTR}/init.scope/cgroup.procs",
        ),
    )


def test_inspects_answer():
    out = '4870 true ["PATH=/usr/bin:/bin","container=podman","A=b=c","odd"]'
    assert nsexec.parse_inspect(out) == (
        4870,
        True,
        {"PATH": "/usr/bin:/bin", "container": "podman", "A": "b=c"},
    )
    assert nsexec.parse_inspect('12 false ["X=1"]')[1] is False


def test_a_process_start_time_and_a_gone_one():
    assert (
        nsexec.start_time(os.getpid())
        == Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]
    )
    assert nsexec.start_time(2**22 + 1) is None  # above pid_max


def test_join_takes_the_next_file_where_the_first_refuses(tmp_path):
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    first.mkdir()  # a directory: the write fails, as a refused cgroup's would
    target = nsexec.Target(1, "0", {}, ((str(first), str(second)), (str(third),)))
    nsexec.join(target)
    assert second.read_text() == third.read_text() == str(os.getpid())
    with pytest.raises(OSError):
        nsexec.join(nsexec.Target(1, "0", {}, ((str(first),),)))


@pytest.fixture
def fake_podman(tmp_path, monkeypatch):
    """A `podman` that answers inspect for one container: a sleeping child
    of this test, in this test's cgroups, with the environment given."""
    monkeypatch.setattr(nsexec, "CACHE", tmp_path / "cache")
    child = subprocess.Popen(["sleep", "60"], cwd=tmp_path)
    calls = tmp_path / "calls"

    def make(privileged=True, pid=None):
        env = json.dumps(["PATH=/usr/bin:/bin", "FROM_CONFIG=yes"])
        answer = f"{child.pid if pid is None else pid} {json.dumps(privileged)} {env}"
        script = tmp_path / "podman"
        # podman inspect --type container --format FORMAT NAME
        script.write_text(
            f'#!/bin/sh\necho "$@" >> {calls}\n[ "$6" = ctr1 ] && echo \'{answer}\' || exit 125\n'
        )
        script.chmod(0o755)
        return str(script)

    yield make, calls, child
    child.kill()
    child.wait()


def inspections(calls: Path) -> int:
    return len(calls.read_text().splitlines()) if calls.exists() else 0


@pytest.mark.skipif(
    os.geteuid() != 0, reason="nsenter and cgroup.procs need root (as make test is)"
)
def test_a_command_runs_inside_with_the_containers_environment_only(fake_podman, monkeypatch):
    make, calls, child = fake_podman
    podman = make()
    where = os.readlink(f"/proc/{child.pid}/cwd")
    monkeypatch.setenv("CALLERS_SECRET", "leak")
    proc = nsexec.run(
        "ctr1", ["/bin/sh", "-c", "env; pwd; cat"], stdin=subprocess.PIPE, podman=podman
    )
    out, err = proc.communicate(b"from stdin\n")
    assert proc.returncode == 0, err
    lines = out.decode().splitlines()
    assert "FROM_CONFIG=yes" in lines and not any("CALLERS_SECRET" in line for line in lines)
    assert lines[-2:] == [where, "from stdin"]  # in PID 1's working directory
    # the second command: from the cache, not inspected again
    proc = nsexec.run("ctr1", ["true"], podman=podman)
    assert proc.wait() == 0 and inspections(calls) == 1
    cached = json.loads((nsexec.CACHE / "ctr1.json").read_text())
    assert cached["pid"] == child.pid and oct(nsexec.CACHE.stat().st_mode & 0o777) == "0o700"


def test_podman_exec_where_nsexec_cannot(fake_podman):
    make, calls, _ = fake_podman
    assert nsexec.run("other", ["true"], podman=make()) is None  # no such container
    assert nsexec.run("ctr1", ["true"], podman=make(privileged=False)) is None
    assert nsexec.run("ctr1", ["true"], podman=make(pid=0)) is None  # not running
    assert inspections(calls) == 3 and not (nsexec.CACHE / "ctr1.json").exists()


def test_a_container_made_again_is_inspected_again(fake_podman):
    make, calls, child = fake_podman
    nsexec.CACHE.mkdir(mode=0o700)
    stale = {"pid": child.pid, "start": "1", "env": {}, "procs": []}  # another start time
    (nsexec.CACHE / "ctr1.json").write_text(json.dumps(stale))
    found = nsexec.target("ctr1", make())
    assert found is not None and found.start == nsexec.start_time(child.pid)
    assert inspections(calls) == 1
    assert nsexec.target("ctr1", make()) == found and inspections(calls) == 1


def test_the_argv():
    target = nsexec.Target(42, "7", {}, ())
    assert nsexec.argv(target, ["id"]) == ["nsenter", "-t", "42", "-a", "-r", "-w", "--", "id"]
