"""admins_probe / admins_in_place: the base role's admins read in one
command, and the three modules skipped only when all is as asked."""

import base64
import os
import subprocess
from pathlib import Path

import pytest

from filter_plugins.admins import FilterModule, admins_in_place, admins_probe

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2UXElYhJBAAVp6a2gSsE06kOpDbGEckI89obV+UgLB ops@ie"
USERS = [
    {"name": "ieops", "uid": 1000, "ssh_authorized_keys": [KEY]},
    {"name": "alice", "uid": 1001, "shell": "/bin/zsh", "ssh_authorized_keys": []},
]
ROOT = "/var/lib/ie-admins"


def record(name, uid, shell="/bin/bash", keys=b"", **change):
    lines = {
        "U": name,
        "P": f"{name}:x:{uid}:{uid}:{name}:{ROOT}/{name}:{shell}",
        "S": "!",
        "F": [
            f"directory:{uid}:755",
            f"directory:{uid}:700",
            f"regular file:{uid}:600" if keys else f"regular empty file:{uid}:600",
        ],
        "K": base64.b64encode(keys).decode(),
        **change,
    }
    out = [f"U {lines['U']}", f"P {lines['P']}", f"S {lines['S']}"]
    out += [f"F {f}" for f in lines["F"]]
    if lines["K"] is not None:
        out.append(f"K {lines['K']}")
    return out


def answer(group="G ieadmin:x:2000:ieops,alice", ieops=None, alice=None):
    ieops = ieops if ieops is not None else record("ieops", 1000, keys=f"{KEY}\n".encode())
    alice = alice if alice is not None else record("alice", 1001, shell="/bin/zsh")
    return "\n".join([group, *ieops, *alice]) + "\n"


def in_place(stdout, users=USERS):
    return admins_in_place(stdout, users, "ieadmin", 2000, ROOT)


def test_all_as_asked_is_in_place():
    assert in_place(answer())
    assert in_place("G ieadmin:x:2000:\n", users=[])
    assert FilterModule().filters() == {
        "admins_probe": admins_probe,
        "admins_in_place": admins_in_place,
    }


@pytest.mark.parametrize(
    "stdout",
    [
        answer(group="G "),  # no group
        answer(group="G ieadmin:x:2001:ieops,alice"),  # another GID
        answer(group="G ieadmin:x:2000:ieops"),  # alice not a member
        answer(group="G ieadmin:x:2000:ieops,alice2"),
        answer(ieops=record("ieops", 1000, P="")),  # no account
        answer(
            ieops=record(
                "ieops", 1000, P="ieops:x:1002:1000:ieops:/var/lib/ie-admins/ieops:/bin/bash"
            )
        ),
        answer(ieops=record("ieops", 1000, P="ieops:x:1000:1000:ieops:/home/ieops:/bin/bash")),
        answer(
            ieops=record(
                "ieops", 1000, P="ieops:x:1000:1000:ieops:/var/lib/ie-admins/ieops:/bin/sh"
            )
        ),
        answer(alice=record("alice", 1001)),  # bash where zsh is asked
        answer(ieops=record("ieops", 1000, S="$")),  # not locked
        answer(ieops=record("ieops", 1000, S="")),
        answer(ieops=record("ieops", 1000, F=["", "directory:1000:700", "regular file:1000:600"])),
        answer(
            ieops=record(
                "ieops",
                1000,
                F=["directory:1000:755", "directory:1000:755", "regular file:1000:600"],
            )
        ),
        answer(
            ieops=record(
                "ieops", 1000, F=["directory:1000:755", "directory:0:700", "regular file:1000:600"]
            )
        ),
        answer(
            ieops=record(
                "ieops",
                1000,
                F=["directory:1000:755", "directory:1000:700", "symbolic link:1000:777"],
            )
        ),
        answer(
            ieops=record(
                "ieops",
                1000,
                F=["directory:1000:755", "directory:1000:700", "regular file:1000:644"],
            )
        ),
        answer(ieops=record("ieops", 1000, F=["directory:1000:755", "directory:1000:700"])),
        answer(ieops=record("ieops", 1000, K=None)),  # no keys file read
        answer(ieops=record("ieops", 1000, keys=f"{KEY}\nssh-ed25519 AAAA other\n".encode())),
        answer(ieops=record("ieops", 1000, keys=KEY.encode())),  # no newline
        answer(ieops=record("ieops", 1000, K="not base64!")),
        answer(alice=record("alice", 1001, shell="/bin/zsh", keys=f"{KEY}\n".encode())),
        answer(alice=[]),  # alice not read at all
        "",
    ],
)
def test_anything_missing_or_different_runs_the_modules(stdout):
    assert not in_place(stdout)


def test_the_probe_reads_the_files_the_modules_would():
    argv = admins_probe([{"name": "root", "uid": 0}, {"name": "no-such-admin", "uid": 5}], "root")
    assert argv[:2] == ["sh", "-c"] and argv[3:] == ["sh", "root", "root", "no-such-admin"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.splitlines()
    root_line = next(
        line for line in Path("/etc/passwd").read_text().splitlines() if line.startswith("root:")
    )
    group_line = next(
        line for line in Path("/etc/group").read_text().splitlines() if line.startswith("root:")
    )
    assert out[0] == f"G {group_line}"
    assert out[1:3] == ["U root", f"P {root_line}"]
    assert out[3].startswith("S ")
    home = root_line.split(":")[5]
    assert out[4] == f"F directory:0:{oct(os.stat(home).st_mode & 0o777)[2:]}"
    # an account that does not exist: its lines, empty, and nothing read for it
    assert out[-3:] == ["U no-such-admin", "P ", "S "]
