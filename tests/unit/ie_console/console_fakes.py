"""Stand-ins for the console's tests: the agents (what each student's agent
is asked to run, with canned wrapper answers) and the browser's steps."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ie_console import accounts, app, session

PO = Path(app.__file__).with_name("locale") / "ja" / "LC_MESSAGES" / "ie-console.po"
ACCOUNTS = {
    "student1": accounts.Account("student1", 2001, "student"),
    "student2": accounts.Account("student2", 2002, "student"),
    "admin1": accounts.Account("admin1", 2100, "admin"),
}
EVIL = '<script>alert("x")</script>'


class FakeAgent:
    def __init__(self, user):
        self.user, self.asked, self.inputs, self.alive = user, [], [], True
        self.opened, self.home, self.built, self.gone = [], None, [], False
        self.containers = [
            {
                "name": f"web-{user}",
                "image": "web:latest",
                "state": "running",
                "status": "Up 2 minutes",
                "ip": "10.40.1.5",
                "id": "0123456789ab",
            },
            {"name": "evil", "image": EVIL, "state": "exited", "status": "", "ip": "", "id": "1"},
        ]

    def run(self, argv, lang="C.UTF-8", input=None, stdin_fd=None):
        if not self.alive or self.gone:
            raise session.SessionEnded("the session has ended")
        self.asked.append((list(argv), lang))
        self.inputs.append(input)
        if argv[1] == "ps":
            return session.Result(0, json.dumps(self.containers), "")
        if argv[:2] == ["ie-podman", "images"]:
            return session.Result(
                0, json.dumps([{"image": "web:1.0", "size": 5, "created": "x"}]), ""
            )
        if argv[:3] == ["ie-podman", "registry", "search"]:
            return session.Result(0, json.dumps([{"image": "s1/web"}, {"image": EVIL}]), "")
        if argv[:2] == ["ie-virsh", "list"]:
            vm = {
                "name": "vm1",
                "state": "running",
                "vcpus": 2,
                "memory_mib": 2048,
                "disk_gib": 10,
                "template": "debian13",
            }
            return session.Result(0, json.dumps([vm]), "")
        if argv[0] == "sacct":
            done = {
                "job_id": 41,
                "name": "train",
                "user": self.user,
                "time": {"elapsed": 61},
                "state": {"current": ["COMPLETED"]},
                "exit_code": {"return_code": {"set": True, "number": 0}},
            }
            other = dict(done, job_id=40, name="someone-elses", user="student9")
            return session.Result(0, json.dumps({"jobs": [done, other]}), "")
        if argv[1] in ("logs", "domiflist") and argv[-1] == "theirs":
            return session.Result(1, "", "no container or VM of yours named theirs\n")
        if argv[:2] == ["ie-virsh", "domiflist"]:
            nic = {
                "type": "network",
                "source": "ie-dept",
                "model": "virtio",
                "mac": "52:54:00:12:34:56",
            }
            return session.Result(0, json.dumps([nic]), "")
        if argv[0] == "squeue":
            job = {
                "job_id": 42,
                "name": EVIL,
                "job_state": ["PENDING"],
                "partition": "gpu",
                "time_limit": {"set": True, "infinite": False, "number": 10},
                "state_reason": "Priority",
                "user_name": self.user,
            }
            other = dict(job, job_id=43, name="someone-elses", user_name="student9")
            return session.Result(0, json.dumps({"jobs": [job, other]}), "")
        if argv[1] == "sif":
            if argv[-2] == "ghost:1":
                return session.Result(0, "", "")  # said yes, made nothing
            if argv[-2] == "broken:1":
                return session.Result(4, "", "ie-podman: no image broken:1\n")
            (self.home / argv[-1]).write_bytes(b"SIF-" + argv[-2].encode())
            return session.Result(0, "", "")
        if argv[1] == "stop" and argv[-1] == "nope":
            return session.Result(1, "", f"ie-podman: no container named nope {EVIL}\n")
        return session.Result(0, f"{argv[-1]}\n", "")

    def open(self, path):
        self.opened.append(path)
        made = self.home / path
        if not made.exists():
            raise session.AgentError(f"{path}: No such file or directory")
        fd = os.open(made, os.O_RDONLY)
        return fd, made.stat().st_size

    def overview(self):
        """The snapshot (overview.json beside the homes), which only an
        admin's account may read."""
        self.opened.append("overview")
        if ACCOUNTS[self.user].role != "admin":
            raise session.AgentError("the overview: Permission denied")
        made = self.home.parent / "overview.json"
        return os.open(made, os.O_RDONLY), made.stat().st_size

    def build(self, tag, archive_fd, lang="C.UTF-8"):
        self.built.append((tag, os.read(archive_fd, 1 << 20), lang))
        return session.Result(0, f"built {tag}\n", "")

    def close(self):
        self.alive = False


def token(client, path="/login", lang="en"):
    page = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def logged_in(application, user="student1", lang="en"):
    client = application.test_client()
    done = client.post(
        "/login",
        data={"user": user, "password": "right", "csrf_token": token(client, lang=lang)},
        headers={"Accept-Language": lang},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/containers")
    return client, done
