"""Which Podman options a student may use, and why not others: the tables.

Each command has a table of allowed options (the same spelling as Podman);
options that would reach host privileges have the reason a student is told,
and the ones ie-podman has an equivalent for, what to use instead.
policy.parse_options reads command lines against these tables.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ie_common.i18n import N_, _


class Option(NamedTuple):
    names: tuple[str, ...]  # "--name" first, then short forms
    dest: str
    takes_value: bool = False
    repeat: bool = False
    help: str = ""
    metavar: str = "VALUE"
    # A flag that may take a value: ``--ip=10.40.1.5``, or ``--ip 10.40.1.5``
    # where the next word fullmatches this pattern (so ``--ip IMAGE`` still
    # leaves the image alone, and ``--gpu 0`` never makes ``0`` the image).
    optional_value: re.Pattern[str] | None = None


# The values --ip and --gpu take (fullmatch): an IPv4 address or "auto", and
# "all" or GPU numbers.
IP_VALUE_RE = re.compile(r"auto|(?:[0-9]{1,3}\.){3}[0-9]{1,3}")
GPU_VALUE_RE = re.compile(r"all|[0-9]{1,2}(?:,[0-9]{1,2}){0,15}")


# Options refused everywhere, with the reason a student is told.
HOST_PRIVILEGE = {
    "--privileged": N_("privileged mode gives the container the whole host"),
    "--cap-add": N_("extra capabilities reach host privileges"),
    "--device": N_("host devices are not available (use --gpu for the GPU)"),
    "--device-cgroup-rule": N_("host devices are not available (use --gpu for the GPU)"),
    "--security-opt": N_("security options are set by ie-podman"),
    "--pid": N_("host namespaces are not available"),
    "--ipc": N_("host namespaces are not available"),
    "--uts": N_("host namespaces are not available"),
    "--userns": N_("the user namespace is set by ie-podman"),
    "--uidmap": N_("the user namespace is set by ie-podman"),
    "--gidmap": N_("the user namespace is set by ie-podman"),
    "--subuidname": N_("the user namespace is set by ie-podman"),
    "--subgidname": N_("the user namespace is set by ie-podman"),
    "--cgroupns": N_("host namespaces are not available"),
    "--cgroup-parent": N_("cgroups are set by ie-podman"),
    "--network": N_("use --ip for an address on the department network"),
    "--net": N_("use --ip for an address on the department network"),
    "--network-alias": N_("use --ip for an address on the department network"),
    "--add-host": N_("use --ip for an address on the department network"),
    "--publish": N_("host ports are not available; --ip gives the container its own address"),
    "-p": N_("host ports are not available; --ip gives the container its own address"),
    "--publish-all": N_("host ports are not available; --ip gives the container its own address"),
    "-P": N_("host ports are not available; --ip gives the container its own address"),
    "--cidfile": N_("the daemon would write that file as root"),
    "--pidfile": N_("the daemon would write that file as root"),
    "--conmon-pidfile": N_("the daemon would write that file as root"),
    "--env-file": N_("the daemon would read that file as root; use -e KEY=VALUE"),
    "--label-file": N_("the daemon would read that file as root; use --label"),
    "--authfile": N_("the daemon would read that file as root"),
    "--cert-dir": N_("the daemon would read that directory as root"),
    "--decryption-key": N_("the daemon would read that file as root"),
    "--secret": N_("the daemon would read that file as root"),
    "--log-opt": N_("the daemon would write the log file as root"),
    "--log-driver": N_("the log driver is set by ie-podman"),
    "--rootfs": N_("a host directory as root file system reaches host files"),
    "--mount": N_("use -v DIR:PATH with a directory in your home"),
    "--volumes-from": N_("other containers' volumes are not available"),
    "--pod": N_("pods are not available through ie-podman"),
    "--sysctl": N_("kernel settings are set by the admins"),
    "--ulimit": N_("limits are set by the admins"),
    "--oom-score-adj": N_("limits are set by the admins"),
    "--group-add": N_("groups are set by ie-podman"),
    "--hooks-dir": N_("OCI hooks run on the host as root"),
    "--annotation": N_("OCI annotations can change how the host runs the container"),
    "--seccomp-policy": N_("security options are set by ie-podman"),
    "--chrootdirs": N_("security options are set by ie-podman"),
    "--blkio-weight-device": N_("host devices are not available"),
    "--device-read-bps": N_("host devices are not available"),
    "--device-write-bps": N_("host devices are not available"),
    "--volume-driver": N_("volume drivers are not available"),
    "--tmpfs": N_("use -v DIR:PATH with a directory in your home"),
    "--systemd": N_("the init mode is set by ie-podman"),
    "--health-cmd": N_("health checks run as root on the host"),
    "--health-on-failure": N_("health checks run as root on the host"),
    "--init-path": N_("the daemon would run that host file"),
    "--runtime": N_("the runtime is set by the admins"),
    "--runtime-flag": N_("the runtime is set by the admins"),
    "--storage-opt": N_("storage is set by the admins"),
    "--build-context": N_("the daemon would read that directory as root"),
    "--ignorefile": N_("the daemon would read that file as root"),
    "--iidfile": N_("the daemon would write that file as root"),
    "--logfile": N_("the daemon would write that file as root"),
    "--output": N_("the daemon would write that file as root; use ie-podman sif or cp"),
    "-o": N_("the daemon would write that file as root; use ie-podman sif or cp"),
    "--ssh": N_("the daemon would use root's SSH agent or keys"),
    "--sign-by": N_("the daemon would use root's keys"),
    "--cache-from": N_("remote build caches are not available"),
    "--cache-to": N_("remote build caches are not available"),
    "--isolation": N_("the build isolation is set by ie-podman"),
    "--cap-drop": N_("capabilities are set by ie-podman"),
}

# What to use instead, where ie-podman has an equivalent.
HINTS = {
    "--gpus": N_("use --gpu for this host's GPU"),
    "--network": N_("use --ip for an address of its own on the department network"),
    "--net": N_("use --ip for an address of its own on the department network"),
    "--publish": N_("use --ip: the container gets an address of its own, every port open"),
    "-p": N_("use --ip: the container gets an address of its own, every port open"),
    "--mount": N_("use -v DIR:PATH with a directory in your home"),
    "--tmpfs": N_("use -v DIR:PATH with a directory in your home"),
    "--env-file": N_("use -e KEY=VALUE for each variable"),
    "--label-file": N_("use --label KEY=VALUE for each label"),
    "--output": N_("use ie-podman sif or ie-podman cp"),
    "-o": N_("use ie-podman sif or ie-podman cp"),
}

RUN_OPTIONS = (
    Option(("--name",), "name", True, help=N_("container name (completed with your user name)")),
    Option(
        ("--ip",),
        "ip",
        help=N_("an address of its own on the department network (a free one, or ADDRESS)"),
        metavar="[ADDRESS]",
        optional_value=IP_VALUE_RE,
    ),
    Option(
        ("--gpu",),
        "gpu",
        help=N_("this host's GPUs: all of them, or those numbered N,N (nvidia-smi's numbers)"),
        metavar="[all|N,...]",
        optional_value=GPU_VALUE_RE,
    ),
    Option(("--detach", "-d"), "detach", help=N_("run in the background")),
    Option(("--interactive", "-i"), "interactive", help=N_("keep standard input open")),
    Option(("--tty", "-t"), "tty", help=N_("allocate a terminal")),
    Option(("--rm",), "rm", help=N_("remove the container when it exits")),
    Option(("--env", "-e"), "env", True, True, N_("set KEY=VALUE inside"), "KEY=VALUE"),
    Option(("--label", "-l"), "label", True, True, N_("add a label KEY=VALUE"), "KEY=VALUE"),
    Option(
        ("--workdir", "-w"), "workdir", True, help=N_("working directory inside"), metavar="DIR"
    ),
    Option(("--entrypoint",), "entrypoint", True, help=N_("override the image's entry point")),
    Option(("--user", "-u"), "user", True, help=N_("user inside the container"), metavar="USER"),
    Option(("--hostname", "-h"), "hostname", True, help=N_("host name inside"), metavar="NAME"),
    Option(("--memory", "-m"), "memory", True, help=N_("memory limit, e.g. 2g"), metavar="SIZE"),
    Option(("--cpus",), "cpus", True, help=N_("number of CPUs, e.g. 1.5"), metavar="N"),
    Option(
        ("--volume", "-v"),
        "volume",
        True,
        True,
        N_("mount DIR (in your home) at PATH, optionally :ro"),
        "DIR:PATH[:ro]",
    ),
    Option(("--init",), "init", help=N_("run an init process inside")),
    Option(("--pull",), "pull", True, help=N_("always, missing, never or newer"), metavar="POLICY"),
)

EXEC_OPTIONS = (
    Option(("--detach", "-d"), "detach", help=N_("run in the background")),
    Option(("--interactive", "-i"), "interactive", help=N_("keep standard input open")),
    Option(("--tty", "-t"), "tty", help=N_("allocate a terminal")),
    Option(("--env", "-e"), "env", True, True, N_("set KEY=VALUE"), "KEY=VALUE"),
    Option(("--workdir", "-w"), "workdir", True, help=N_("working directory"), metavar="DIR"),
    Option(("--user", "-u"), "user", True, help=N_("user inside the container"), metavar="USER"),
)

BUILD_OPTIONS = (
    Option(
        ("--tag", "-t"), "tag", True, help=N_("the image's name[:tag] (required)"), metavar="NAME"
    ),
    Option(
        ("--file", "-f"), "file", True, help=N_("Containerfile inside the context"), metavar="FILE"
    ),
    Option(("--build-arg",), "build_arg", True, True, N_("set a build ARG"), "KEY=VALUE"),
    Option(("--target",), "target", True, help=N_("build up to this stage"), metavar="STAGE"),
    Option(("--no-cache",), "no_cache", help=N_("do not use cached layers")),
    Option(("--label",), "label", True, True, N_("add a label KEY=VALUE"), "KEY=VALUE"),
    Option(("--quiet", "-q"), "quiet", help=N_("print only the image ID")),
)

PRIVILEGED_EXEC = {"--privileged": N_("privileged mode gives the process the whole host")}

# Every pattern is used with fullmatch: "$" would let a trailing newline in.


def option_rows(options: tuple[Option, ...]) -> list[tuple[str, str]]:
    """(names, help) of each option, for the help table (ie_common.helptext)."""
    rows = []
    for opt in options:
        names = ", ".join(reversed(opt.names))
        if opt.takes_value or opt.optional_value is not None:
            names += f" {opt.metavar}"
        rows.append((names, _(opt.help)))
    return rows
