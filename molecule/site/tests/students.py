"""How the red team acts as the directory's students on the site's gs01.

The students exist only in the lab's directory (SSSD, homes on CephFS, no
/etc/subuid line): a login shell as the student (``su -``, which makes the
home on first login as a real login does) and sudo for the ie-* wrappers.
testinfra reaches the host with ``podman exec`` as root, the way an admin's
shell would; everything a student does goes through ``su -``.
"""

import json
import os
import shlex

import testinfra

# molecule/site's hosts; the lab's with IE_REDTEAM_HOSTS=ie-lab-gs01,ie-lab-gs02
# (the same directory students and lab layer).
FIRST, SECOND = os.environ.get("IE_REDTEAM_HOSTS", "gs01,gs02").split(",")
GS01 = testinfra.get_host(f"podman://{FIRST}")

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


GS02 = testinfra.get_host(f"podman://{SECOND}")


def as_user_on(host, user, command):
    """``as_user`` on another general server."""
    return host.run(f"su - {user} -c {shlex.quote(command)}")


# -- what the red team (test_redteam_*.py) shares ------------------------------------------

VIRSH = "virsh -c qemu:///system"
# The container's command ends on SIGTERM (a shell as PID 1 with a trap),
# so stopping and removing takes no stop timeout.
CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/data"]
CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 600 & wait"]
"""
STUDENTS = (OWNER, LIMITED, THIRD)


def iep(user, args):
    return wrapper("ie-podman", user, args)


def iev(user, args):
    return wrapper("ie-virsh", user, args)


def virsh_dirs():
    cfg = config("ie-virsh")
    return cfg.get("templates_dir", "/var/lib/ie-virsh/templates"), cfg.get(
        "images_dir", "/var/lib/ie-virsh/images"
    )


TEMPLATES, IMAGES = virsh_dirs()


def host_state():
    """What an attack must not change: containers, domains, key files, leases."""
    return GS01.check_output(
        "podman ps -a --format '{{.Names}} {{.State}}' | sort; "
        f"{VIRSH} list --all --name | sort; "
        "sha256sum /etc/shadow /etc/passwd /etc/sudoers /etc/ie/ie-podman.json; "
        "podman images --format '{{.Repository}}:{{.Tag}}' | sort; ls -A /root; "
        "ie-podman admin leases --format json"
    )


def owned(user):
    """The names of ``user``'s containers, as Podman labels them."""
    out = GS01.check_output(
        f"podman ps -a --filter label=ie.owner.uid={uid(user)} --format '{{{{.Names}}}}'"
    )
    return out.split()


def parallel(*batches):
    """Each batch is (user, command, n): every command of every batch runs
    through sudo at the same time; returns when all have ended."""
    jobs = []
    for user, args, n in batches:
        inner = " ".join(f"sudo -n {args.format(i=i)} >/dev/null 2>&1 &" for i in range(n))
        jobs.append(f"su - {user} -c {shlex.quote(inner + ' wait')} &")
    GS01.run(f"{{ {' '.join(jobs)} wait; }}")


def limited_quota():
    return config("ie-podman")["user_quotas"][LIMITED]


def defined(user):
    return json.loads(ok(iev(user, "list --all --format json")))
