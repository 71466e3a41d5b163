"""A fake Podman that reads ``create`` argv the way Podman does and answers
``inspect`` in Podman's layout, so the wrapper's own inspect-after-create
check runs against what a smuggled option would really have made."""

from __future__ import annotations

import hashlib
import itertools

from ie_podman import cli, config
from ie_podman.backend import OWNER_LABEL

# Podman create options that take a value (enough for what a test may send).
VALUED = {
    "--name", "--label", "-l", "--security-opt", "--uidmap", "--gidmap", "--userns", "--env",
    "-e", "--workdir", "-w", "--entrypoint", "--user", "-u", "--hostname", "-h", "--memory",
    "-m", "--cpus", "--volume", "-v", "--device", "--network", "--net", "--cap-add", "--pid",
    "--ipc", "--uts", "--mount", "--authfile", "--publish", "-p", "--ip",
}  # fmt: skip
_ids = itertools.count(1)


class Result:
    def __init__(self, returncode=0, stdout=b"", stderr=b""):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def parse(argv):
    """(options as (name, value) pairs, positionals) as pflag would read them."""
    opts, rest, i = [], [], 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            rest = argv[i:]
            break
        if not a.startswith("-"):
            rest = argv[i - 1 :]
            break
        name, eq, value = a.partition("=")
        if not a.startswith("--") and len(a) > 2 and not eq:
            name, value, eq = a[:2], a[2:], "="  # -eX=1 (bundles are not needed here)
        if name in VALUED and not eq:
            value = argv[i]
            i += 1
        opts.append((name, value if (eq or name in VALUED) else "true"))
    return opts, rest


class FakePodman:
    def __init__(self, create_rc=0):
        self.containers: dict[str, dict] = {}
        self.images: dict[str, dict] = {}
        self.calls: list[list[str]] = []
        self.create_rc = create_rc
        self.tamper = None  # a function that changes the inspect data after create
        self.created: list[dict] = []  # every container made, even if removed since
        self.registry: dict[str, dict] = {}  # remote reference -> image labels

    # -- what the wrapper's backend offers ---------------------------------

    def container(self, name):
        return self.containers.get(name)

    def image(self, ref):
        if ref in self.images:
            return self.images[ref]
        for data in self.images.values():
            if data["Id"] == ref or data["Id"].startswith(ref.removeprefix("sha256:")):
                return data
        return None

    def add_image(self, ref, uid=None, labels=None):
        labels = dict(labels or {})
        if uid is not None:
            labels[OWNER_LABEL] = str(uid)
        self.images[ref] = {"Id": _new_id(), "Labels": labels, "Names": [ref]}
        return self.images[ref]

    def containers_of(self, uid):
        return [
            {
                "Names": [n],
                "State": c["State"]["Status"],
                "Image": c["Image"],
                "Id": c["Id"],
                "Labels": c["Config"]["Labels"],
            }
            for n, c in self.containers.items()
            if c["Config"]["Labels"].get(OWNER_LABEL) == str(uid)
        ]

    def images_of(self, uid):
        return [
            {"Names": list(i["Names"]), "Id": i["Id"]}
            for i in self.images.values()
            if i["Labels"].get(OWNER_LABEL) == str(uid)
        ]

    def add_untagged(self, uid, used=False):
        """An image of ``uid``'s that a rebuild or a re-pull left without a name
        (kept under its ID), used by a container of theirs if ``used``."""
        image_id = _new_id()
        self.images[image_id] = {"Id": image_id, "Labels": {OWNER_LABEL: str(uid)}, "Names": []}
        if used:
            self.add_container(f"user-{uid}-uses-{image_id[:6]}", uid)["Image"] = image_id
        return image_id

    def prune_images_of(self, uid):
        """What ``podman image prune --filter label=OWNER=uid`` does (checked
        on Podman in the containers scenario): the untagged images with that
        label that no container uses go; nothing else. Not in ``calls``."""
        used = {c["Image"] for c in self.containers.values()}
        for ref, data in list(self.images.items()):
            owned = data["Labels"].get(OWNER_LABEL) == str(uid)
            if owned and not data["Names"] and data["Id"] not in used:
                del self.images[ref]

    def interactive(self, argv):
        return self.run(argv, check=False).returncode

    def run(self, argv, check=True, capture=True, stdin=None):
        self.calls.append(list(argv))
        verb = argv[0]
        if verb == "create":
            if self.create_rc:
                return Result(self.create_rc, stderr=b"Error: cannot create")
            self._create(argv[1:])
        elif verb == "rm":
            self.containers.pop(argv[-1], None)
        elif verb == "pull":
            remote = argv[-1]
            if remote not in self.registry:
                return Result(125, stderr=b"Error: manifest unknown")
            image = self.add_image(remote, labels=self.registry[remote])
            return Result(stdout=(image["Id"] + "\n").encode())
        elif verb == "push":
            self.registry[argv[-1]] = dict(self.image(argv[-2])["Labels"])
        elif verb == "build":
            # FROM alone (ie-podman pull's relabelling): the base's labels,
            # then --label's.
            opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
            with open(opts["file"], encoding="utf-8") as fh:
                base = self.image(fh.read().split()[1])
            labels = dict(base["Labels"])
            labels.update(
                a.split("=", 1)[1].split("=", 1) for a in argv if a.startswith("--label=")
            )
            self.images[opts["tag"]] = {
                **base,
                "Id": _new_id(),
                "Labels": labels,
                "Names": [opts["tag"]],
                "Parent": base["Id"],
            }
        elif verb == "tag":
            image = self.image(argv[1])
            self.images[argv[2]] = {**image, "Names": [*image["Names"], argv[2]]}
        elif verb == "rmi":  # one name; the image stays under its others
            gone = self.images.pop(argv[-1], None)
            for data in self.images.values():
                if gone and data["Id"] == gone["Id"]:
                    data["Names"] = [n for n in data["Names"] if n != argv[-1]]
        elif verb == "ps" and "{{.Names}}" in argv:
            return Result(stdout="\n".join(self.containers).encode())
        elif verb == "start":
            name = argv[-1]
            if name in self.containers:
                self.containers[name]["State"] = {"Status": "running", "Running": True}
                if self.containers[name]["HostConfig"]["AutoRemove"] and "--attach" in argv:
                    del self.containers[name]
        return Result()

    # -- what Podman would have made -----------------------------------------

    def _create(self, argv):
        opts, rest = parse(argv)
        image = self.image(rest[0]) or {"Id": rest[0], "Labels": {}}
        get = lambda key: [v for k, v in opts if k == key]  # noqa: E731
        labels = dict(image["Labels"])
        labels.update(v.split("=", 1) for v in get("--label") + get("-l"))
        mounts = []
        for spec in get("--volume") + get("-v"):
            src, dst, *mode = spec.split(":")
            mounts.append({"Type": "bind", "Source": src, "Destination": dst, "RW": mode != ["ro"]})
        networks = {"podman": {}}
        mode = "bridge"
        for net in get("--network") + get("--net"):
            name = net.split(":")[0]
            if name in ("host", "none") or name.startswith("container:"):
                mode, networks = name, {}
            else:
                networks = {name: {}}
        maps = {"UidMap": get("--uidmap"), "GidMap": get("--gidmap")}
        if get("--userns") == ["auto"]:
            maps = {"UidMap": ["0:100000:65536"], "GidMap": ["0:100000:65536"]}
        memory = get("--memory") or get("-m")
        cpus = get("--cpus")
        name = get("--name")[0]
        self.containers[name] = {
            "Id": _new_id(),
            "Name": name,
            "Image": image["Id"],
            "ImageName": rest[0],
            "State": {"Status": "created", "Running": False},
            "Config": {"Labels": labels, "Cmd": rest[1:]},
            "EffectiveCaps": ["CAP_CHOWN", "CAP_KILL", *get("--cap-add")],
            "BoundingCaps": ["CAP_CHOWN", "CAP_KILL", *get("--cap-add")],
            "Mounts": mounts,
            "NetworkSettings": {"Networks": networks},
            "HostConfig": {
                "Privileged": ("--privileged", "true") in opts,
                "CapAdd": get("--cap-add"),
                "SecurityOpt": get("--security-opt"),
                "Devices": [{"PathOnHost": d} for d in get("--device")],
                "NetworkMode": mode,
                "PidMode": (get("--pid") or ["private"])[0],
                "IpcMode": (get("--ipc") or ["shareable"])[0],
                "UTSMode": (get("--uts") or ["private"])[0],
                "UsernsMode": (get("--userns") or ["private"])[0],
                "IDMappings": maps if maps["UidMap"] else {},
                "Memory": _bytes(memory[0]) if memory else 0,
                "NanoCpus": round(float(cpus[0]) * 1e9) if cpus else 0,
                "AutoRemove": ("--rm", "true") in opts,
            },
        }
        if self.tamper:
            self.tamper(self.containers[name])
        self.created.append(self.containers[name])

    def add_container(self, name, uid, labels=None, status="running"):
        labels = dict(labels or {}, **{OWNER_LABEL: str(uid)})
        self.containers[name] = {
            "Id": _new_id(),
            "Name": name,
            "Image": "",
            "Config": {"Labels": labels},
            "State": {"Status": status, "Running": status == "running"},
            "HostConfig": {"AutoRemove": False},
        }
        return self.containers[name]


def _bytes(text):
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def _new_id():
    return hashlib.sha256(str(next(_ids)).encode()).hexdigest()


def make_app(caller, podman, tmp_path, **cfg):
    """ie-podman's App for ``caller`` on ``podman``, its state under ``tmp_path``."""
    settings = {
        "subnet": "10.9.0.0/24",
        "pool_start": "10.9.0.10",
        "pool_end": "10.9.0.12",
        "state_dir": str(tmp_path / "state"),
        "audit_log": str(tmp_path / "audit.log"),
        "userns": "",
        "quota": {"containers": 2, "images": 1},
    }
    settings.update(cfg)
    return cli.App(caller, config.from_dict(settings), podman, str(tmp_path))
