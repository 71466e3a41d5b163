"""How the red team acts as the directory's students on the site's gs01.

The students exist only in the lab's directory (SSSD, homes on CephFS, no
/etc/subuid line): a login shell as the student (``su -``, which makes the
home on first login as a real login does) and sudo for the ie-* wrappers.
testinfra reaches the host with ``podman exec`` as root, the way an admin's
shell would; everything a student does goes through ``su -``.
"""

import json
import shlex

import testinfra

GS01 = testinfra.get_host("podman://gs01")

# student1 keeps private data and images; student3 has the lab's small
# limits (inventories/lab: 3 containers, 3 images, 3 VMs, 3 vCPUs, 1 GiB);
# student2 is the third student acting at the same time.
OWNER, LIMITED, THIRD = "student1", "student3", "student2"


def as_user(user, command):
    """Run a shell command as ``user`` in a login shell, in their home."""
    return GS01.run(f"su - {user} -c {shlex.quote(command)}")


def wrapper(program, user, args):
    """``sudo -n <program> <args>`` as ``user``."""
    return as_user(user, f"sudo -n {program} {args}")


def ok(result):
    assert result.rc == 0, result.stderr
    return result.stdout


def uid(user):
    return int(GS01.check_output(f"id -u {user}"))


def config(program):
    """The wrapper's configuration as the admins' Ansible wrote it."""
    return json.loads(GS01.file(f"/etc/ie/{program}.json").content_string)


GS02 = testinfra.get_host("podman://gs02")


def as_user_on(host, user, command):
    """``as_user`` on another general server."""
    return host.run(f"su - {user} -c {shlex.quote(command)}")
