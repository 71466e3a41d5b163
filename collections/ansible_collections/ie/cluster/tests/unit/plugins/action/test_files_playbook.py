# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.copy, ie.cluster.template, ie.cluster.file and
ie.cluster.lineinfile in ansible-playbook on this machine (a local
connection): what they write, that a file, directory or line already right
is checked without a module, and that one wrong in content, owner or mode,
check mode and --diff are ansible-core's as before."""

from __future__ import absolute_import, annotations, division, print_function

import grp
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

__metaclass__ = type

COLLECTIONS = Path(__file__).resolve().parents[7]
PLAYBOOK = sys.executable.rsplit("/", 1)[0] + "/ansible-playbook"
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def play(tmp_path, *options, tasks=None):
    """Run ``tasks`` (by default, the two file tasks "t" and "c"); their
    results on the host, by name, from the json callback's report."""
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "conf.j2").write_text("name={{ name }}\n")
    tasks = tasks or [
        {
            "name": "t",
            "ie.cluster.template": {
                "src": "conf.j2",
                "dest": str(tmp_path / "out" / "conf"),
                "owner": USER,
                "group": GROUP,
                "mode": "0640",
            },
        },
        {
            "name": "c",
            "ie.cluster.copy": {
                "content": "secret\n",
                "dest": str(tmp_path / "out" / "secret"),
                "owner": USER,
                "group": GROUP,
                "mode": "0600",
            },
        },
    ]
    playbook = {"hosts": "localhost", "gather_facts": False, "vars": {"name": "gs01"}}
    playbook["tasks"] = tasks
    (tmp_path / "play.yml").write_text(json.dumps([playbook]))
    (tmp_path / "out").mkdir(exist_ok=True)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="true",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env["ANSIBLE_CONFIG"] = str(tmp_path / "ansible.cfg")
    done = subprocess.run(  # noqa: S603 - this virtualenv's ansible-playbook
        [
            PLAYBOOK,
            *("-i", "localhost,", "-c", "local"),
            *("-e", f"ansible_python_interpreter={sys.executable}"),
            *options,
            str(tmp_path / "play.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    tasks = json.loads(done.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"]: task["hosts"]["localhost"] for task in tasks}


def test_written_then_checked_by_the_shell_alone(tmp_path):
    first = play(tmp_path)
    conf, secret = tmp_path / "out" / "conf", tmp_path / "out" / "secret"
    assert first["t"]["changed"] and first["c"]["changed"]
    assert conf.read_text() == "name=gs01\n" and secret.read_text() == "secret\n"
    assert (os.stat(conf).st_mode & 0o7777, os.stat(secret).st_mode & 0o7777) == (0o640, 0o600)
    again = play(tmp_path)
    for result in (again["t"], again["c"]):
        assert result["changed"] is False and result["checked_by_shell"] is True, result


def test_a_wrong_mode_or_content_is_put_right_by_the_builtin(tmp_path):
    play(tmp_path)
    conf, secret = tmp_path / "out" / "conf", tmp_path / "out" / "secret"
    os.chmod(secret, 0o644)
    conf.write_text("name=other\n")
    fixed = play(tmp_path)
    assert fixed["c"]["changed"] and "checked_by_shell" not in fixed["c"]
    assert os.stat(secret).st_mode & 0o7777 == 0o600
    assert fixed["t"]["changed"] and conf.read_text() == "name=gs01\n"


def test_check_mode_and_diff_report_without_writing(tmp_path):
    play(tmp_path)
    conf = tmp_path / "out" / "conf"
    conf.write_text("name=other\n")
    checked = play(tmp_path, "--check", "--diff")
    assert checked["t"]["changed"] and not checked["c"]["changed"]
    diff = checked["t"]["diff"][0]
    assert (diff["before"], diff["after"]) == ("name=other\n", "name=gs01\n")
    assert conf.read_text() == "name=other\n"


def folders(tmp_path):
    """ie.cluster.file's tasks: a directory "d" (with its parent) and a path
    "gone" removed."""
    return [
        {
            "name": "d",
            "ie.cluster.file": {
                "path": str(tmp_path / "out" / "new" / "d"),
                "state": "directory",
                "owner": USER,
                "group": GROUP,
                "mode": "0750",
            },
        },
        {"name": "gone", "ie.cluster.file": {"path": str(tmp_path / "old"), "state": "absent"}},
    ]


def test_a_directory_made_and_a_path_removed_then_checked_by_the_shell_alone(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "f").write_text("x")
    first = play(tmp_path, tasks=folders(tmp_path))
    made = tmp_path / "out" / "new" / "d"
    assert first["d"]["changed"] and first["gone"]["changed"]
    assert os.stat(made).st_mode & 0o7777 == 0o750 and not (tmp_path / "old").exists()
    again = play(tmp_path, tasks=folders(tmp_path))
    for result in (again["d"], again["gone"]):
        assert result["changed"] is False and result["checked_by_shell"] is True, result


def test_a_wrong_mode_is_put_right_and_check_mode_reports_without_doing(tmp_path):
    play(tmp_path, tasks=folders(tmp_path))
    made = tmp_path / "out" / "new" / "d"
    os.chmod(made, 0o755)  # noqa: S103 - a mode to put right
    (tmp_path / "old").write_text("back again")
    checked = play(tmp_path, "--check", "--diff", tasks=folders(tmp_path))
    assert checked["d"]["changed"] and checked["gone"]["changed"]
    assert "checked_by_shell" not in checked["d"]
    assert checked["d"]["diff"]["before"]["mode"] == "0755"
    assert os.stat(made).st_mode & 0o7777 == 0o755 and (tmp_path / "old").exists()
    fixed = play(tmp_path, tasks=folders(tmp_path))
    assert fixed["d"]["changed"] and fixed["gone"]["changed"]
    assert os.stat(made).st_mode & 0o7777 == 0o750 and not (tmp_path / "old").exists()


def lines(tmp_path):
    """ie.cluster.lineinfile's tasks: a setting put in a new file "set", and
    the lines of a key that is gone removed ("drop")."""
    return [
        {
            "name": "set",
            "ie.cluster.lineinfile": {
                "path": str(tmp_path / "login.defs"),
                "regexp": r"^#?\s*SUB_UID_COUNT\s",
                "line": "SUB_UID_COUNT 0",
                "create": True,
                "owner": USER,
                "group": GROUP,
                "mode": "0644",
            },
        },
        {
            "name": "drop",
            "ie.cluster.lineinfile": {
                "path": str(tmp_path / "keys"),
                "regexp": r"\sold@b$",
                "state": "absent",
            },
        },
    ]


def test_a_line_put_and_lines_removed_then_checked_by_the_shell_alone(tmp_path):
    (tmp_path / "keys").write_text("k new@b\nk old@b\n")
    first = play(tmp_path, tasks=lines(tmp_path))
    assert first["set"]["changed"] and first["drop"]["changed"]
    assert (tmp_path / "login.defs").read_text() == "SUB_UID_COUNT 0\n"
    assert (tmp_path / "keys").read_text() == "k new@b\n"
    again = play(tmp_path, tasks=lines(tmp_path))
    for result in again.values():
        assert result["changed"] is False and result["checked_by_shell"] is True, result


def test_a_changed_line_is_put_right_and_check_mode_reports_without_doing(tmp_path):
    (tmp_path / "keys").write_text("k new@b\n")
    play(tmp_path, tasks=lines(tmp_path))
    (tmp_path / "login.defs").write_text("A 1\n#SUB_UID_COUNT 65536\n")
    (tmp_path / "keys").write_text("k old@b\nk new@b\n")
    checked = play(tmp_path, "--check", "--diff", tasks=lines(tmp_path))
    assert checked["set"]["changed"] and checked["drop"]["changed"]
    assert "checked_by_shell" not in checked["set"]
    assert checked["set"]["diff"][0]["before"] == "A 1\n#SUB_UID_COUNT 65536\n"
    assert checked["set"]["diff"][0]["after"] == "A 1\nSUB_UID_COUNT 0\n"
    assert (tmp_path / "login.defs").read_text() == "A 1\n#SUB_UID_COUNT 65536\n"
    fixed = play(tmp_path, tasks=lines(tmp_path))
    assert fixed["set"]["changed"] and fixed["drop"]["changed"]
    assert (tmp_path / "login.defs").read_text() == "A 1\nSUB_UID_COUNT 0\n"
    assert (tmp_path / "keys").read_text() == "k new@b\n"
