"""Issue 21's red team (test_redteam_*.py): the wrappers hold against
students who try to break them.

Three of the directory's students (students.py) on gs01 of the whole site:
SSSD accounts, homes on CephFS, real Podman and libvirt, each attack tried
as the student through sudo, two or three at once where the attack is a
race. Every case shows the refusal and that nothing changed on the host.
The images and VM template are made here once for all its modules, and
removed with everything the students made."""

import json
import shlex

import pytest
from students import (
    CONTAINERFILE,
    GS01,
    OWNER,
    STUDENTS,
    TEMPLATES,
    as_user,
    iep,
    iev,
    ok,
)


@pytest.fixture(scope="session", autouse=True)
def setup():
    assert GS01.file("/bin/busybox").exists, "the journey installs busybox-static"
    for user in STUDENTS:
        as_user(user, "rm -rf rt && mkdir -p rt && cp /bin/busybox rt/")
        ok(as_user(user, f"printf %s {shlex.quote(CONTAINERFILE)} > rt/Containerfile"))
        ok(iep(user, "build --tag box rt"))
    ok(as_user(OWNER, "mkdir -p data && echo owner-data > data/marker && chmod 700 ~"))
    GS01.check_output(f"qemu-img create -q -f qcow2 {TEMPLATES}/rt.qcow2 64M")
    yield
    for user in STUDENTS:
        for c in json.loads(ok(iep(user, "ps --all --format json"))):
            iep(user, f"rm --force {c['name']}")
        for d in json.loads(ok(iev(user, "list --all --format json"))):
            iev(user, f"destroy {d['name']}")
            iev(user, f"undefine {d['name']}")
        for image in json.loads(ok(iep(user, "images --format json"))):
            iep(user, f"rmi {shlex.quote(image['image'])}")
        as_user(user, "rm -rf rt sp b? swap swap.real stop-swap victim big.img")
    GS01.run(f"rm -f {TEMPLATES}/rt.qcow2 /etc/containers/containers.conf.d/zz-redteam.conf")
