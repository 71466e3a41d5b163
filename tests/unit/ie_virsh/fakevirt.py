"""A fake libvirt for ie-virsh's tests, and a way to run one command as a
student (the fixture ``env`` that sets a host up is in conftest.py)."""

from __future__ import annotations

from ie_virsh import cli, config, domxml


class FakeVirt:
    def __init__(self):
        self.domains: dict[str, str] = {}
        self.active: set[str] = set()
        self.calls: list[tuple] = []
        self.live: dict[str, str] = {}  # the XML a running domain really has

    def names(self):
        return sorted(self.domains)

    def xml(self, name):
        return self.domains.get(name)

    def live_xml(self, name):
        return self.live.get(name) or self.domains[name]

    def is_active(self, name):
        return name in self.active

    def define(self, xml):
        info = domxml.read(xml)
        self.calls.append(("define", info["name"]))
        self.domains[info["name"]] = xml

    def undefine(self, name):
        self.calls.append(("undefine", name))
        del self.domains[name]

    def start(self, name):
        self.calls.append(("start", name))
        self.active.add(name)
        self.live[name] = self.domains[name]

    def destroy(self, name):
        self.calls.append(("destroy", name))
        self.active.discard(name)
        self.live.pop(name, None)


def with_cfg(env, **values):
    """The scenario's configuration (its directories) with ``values`` changed."""
    base = {k: getattr(env["cfg"], k) for k in ("templates_dir", "images_dir", "run_dir")}
    base |= {"audit_log": env["cfg"].audit_log, "lock_file": env["cfg"].lock_file}
    base |= {"qemu_user": env["cfg"].qemu_user, "qemu_group": env["cfg"].qemu_group}
    return config.from_dict(base | values)


def run(env, caller, argv):
    ns = cli.parser().parse_args(argv)
    app = cli.App(caller, env["cfg"], env["virt"], str(env["tmp"]))
    return getattr(app, "cmd_" + ns.command)(ns)
