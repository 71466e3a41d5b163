# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.packages: apt's package install, asked of dpkg first.

On a host that has every package already (every re-run), ansible.builtin.apt
still starts Python with python-apt and opens the whole package cache: about
a second of CPU per host and task, for an answer that dpkg's status file
gives in milliseconds. This action asks dpkg (one shell command over the
task's connection, with its become) and returns unchanged when every package
is installed and the package lists are as fresh as asked; otherwise it runs
ansible.builtin.apt with the same arguments, which does the work, check mode
and diff as before.
"""

from __future__ import absolute_import, annotations, division, print_function

import re
import shlex

from ansible.errors import AnsibleActionFail
from ansible_collections.ie.cluster.plugins.plugin_utils.shell_first import ShellFirst

__metaclass__ = type

# A Debian package name (Debian Policy 5.6.1), nothing else: no version,
# release, architecture, wildcard or file, which ansible.builtin.apt is for.
PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
# Where ansible.builtin.apt reads the lists' age (get_cache_mtime), in order.
STAMP = "/var/lib/apt/periodic/update-success-stamp"
LISTS = "/var/lib/apt/lists"

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "default": []},
    "install_recommends": {"type": "bool"},
    "default_release": {"type": "str"},
    "update_cache": {"type": "bool", "default": False},
    "cache_valid_time": {"type": "int", "default": 0},
}


def probe_command(names: list[str]) -> str:
    """One shell command: the lists' mtime, the time now, then dpkg's status of each name."""
    query = "dpkg-query -W -f '${db:Status-Abbrev} ${binary:Package}\\n'"
    return (
        f"stat -c %Y {STAMP} 2>/dev/null || stat -c %Y {LISTS} 2>/dev/null || echo 0; date +%s"
        + (
            f"; {query} -- {' '.join(shlex.quote(n) for n in names)} 2>/dev/null; true"
            if names
            else ""
        )
    )


def parse_probe(stdout: str) -> tuple[int, int, set[str]]:
    """The lists' mtime, the time now and the names installed, from probe_command's output."""
    lines = stdout.splitlines()
    if len(lines) < 2 or not lines[0].strip().isdigit() or not lines[1].strip().isdigit():
        raise ValueError(f"unexpected answer: {stdout[:200]!r}")
    installed = set()
    for line in lines[2:]:
        fields = line.split()
        # Status-Abbrev is the wanted state, the current state and an error
        # flag (a space when none): "ii" or "hi" (held) is installed and sound.
        if len(fields) == 2 and len(fields[0]) == 2 and fields[0][1] == "i":
            installed.add(fields[1].split(":", 1)[0])
    return int(lines[0]), int(lines[1]), installed


def nothing_to_do(args: dict, mtime: int, now: int, installed: set[str]) -> bool:
    """Would ansible.builtin.apt with these arguments neither update the lists nor install?"""
    if args["update_cache"] and not (
        args["cache_valid_time"] > 0 and now - mtime <= args["cache_valid_time"]
    ):
        return False
    return all(name in installed for name in args["name"])


def apt_arguments(args: dict) -> dict:
    """The same request, as ansible.builtin.apt's arguments."""
    out = {key: value for key, value in args.items() if value is not None and key != "name"}
    if args["name"]:
        out.update(name=args["name"], state="present")
    if not args["update_cache"]:
        out.pop("cache_valid_time")
    return out


class ActionModule(ShellFirst):
    BUILTIN = "ansible.builtin.apt"

    def arguments(self):
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        if not args["name"] and not args["update_cache"]:
            raise AnsibleActionFail(
                "ie.cluster.packages needs name (the packages) or update_cache: true"
            )
        odd = [name for name in args["name"] if not PACKAGE.fullmatch(name)]
        if odd:
            raise AnsibleActionFail(
                "ie.cluster.packages installs packages by name only; not a package name: "
                f"{', '.join(odd)} (a version, release or file is ansible.builtin.apt's)"
            )
        return args

    def probe(self, args):
        return probe_command(args["name"])

    def unchanged(self, args, rc, stdout):
        # An answer not understood leaves it to apt.
        if rc != 0:
            return None
        try:
            mtime, now, installed = parse_probe(stdout)
        except ValueError:
            return None
        if not nothing_to_do(args, mtime, now, installed):
            return None
        return {
            "changed": False,
            "cache_updated": False,
            "cache_update_time": mtime,
            "installed": args["name"],
        }

    def module_arguments(self, args):
        return apt_arguments(args)
