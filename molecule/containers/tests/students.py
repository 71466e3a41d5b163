"""How the tests act as a student on ctr-gs01: a shell as that user, in
their home, and sudo for the ie-* wrappers."""

import shlex

import testinfra

GS01 = testinfra.get_host("podman://ctr-gs01")
GS02 = testinfra.get_host("podman://ctr-gs02")


def as_user(user, command):
    """Run a shell command as ``user`` in their home directory."""
    inner = f"cd ~ && {command}"
    return GS01.run(f"runuser -u {user} -- bash -c {shlex.quote(inner)}")


def wrapper(program, user, args):
    """``sudo -n <program> <args>`` as ``user``."""
    return as_user(user, f"sudo -n {program} {args}")


def ok(result):
    assert result.rc == 0, result.stderr
    return result.stdout
