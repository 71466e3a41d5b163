"""How ie-virsh reads sizes and shows VMs (issue 25): no size of 0 or below
taken as the default, virsh's memory units, the live size of a running VM,
no libvirt noise, no traceback from a deleted working directory."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types

import pytest
from fakevirt import run

from ie_common.errors import SetupError, UsageError
from ie_common.identity import Caller
from ie_virsh import backend, cli, config, domxml, options

ALICE = Caller(uid=2001, gid=2001, name="alice", home="/home/alice", groups=(2001,))
BOB = Caller(uid=2002, gid=2002, name="bob", home="/home/bob", groups=(2002,))


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("2048", 2048),
        ("512M", 512),
        ("512MiB", 512),
        ("512m", 512),
        ("2G", 2048),
        ("2GiB", 2048),
        ("1T", 1024 * 1024),
        ("2097152k", 2048),
        ("2097152KiB", 2048),
        ("1048576000B", 1000),
        ("1000MB", 953.67431640625),  # not whole MiB: refused below
        ("2GB", 1907.3486328125),
    ],
)
def test_memory_units_are_virshs(text, mib):
    if mib != int(mib):
        with pytest.raises(argparse.ArgumentTypeError, match="whole number of MiB"):
            options.memory_mib(text)
        return
    assert options.memory_mib(text) == mib


@pytest.mark.parametrize("text", ["0", "-5", "0G", "512 X", "2 gigs", "1.5G", "", "G", "1e3"])
def test_bad_memory_sizes_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):  # a UsageError through the parser
        options.memory_mib(text)


@pytest.mark.parametrize(
    "args",
    [
        ["define", "vm", "--template", "tiny", "--vcpus", "0"],
        ["define", "vm", "--template", "tiny", "--vcpus", "-1"],
        ["define", "vm", "--template", "tiny", "--disk", "0"],
        ["define", "vm", "--template", "tiny", "--memory", "0"],
        ["define", "vm", "--template", "tiny", "--memory", "-512"],
        ["define", "vm", "--template", "tiny", "--memory", "2X"],
        ["edit", "vm", "--vcpus", "0"],
        ["edit", "vm", "--memory", "0M"],
    ],
)
def test_zero_or_negative_sizes_are_refused_not_taken_as_the_default(env, args):
    with pytest.raises(UsageError) as err:
        run(env, ALICE, args)
    assert "1 or more" in err.value.message or "memory size" in err.value.message
    assert env["virt"].domains == {} and env["made"] == []


def test_define_with_units_stores_mib(env):
    run(env, ALICE, ["define", "vm", "--template", "tiny", "--memory", "2G", "--vcpus", "2"])
    info = domxml.read(env["virt"].domains["alice_vm"])
    assert (info["vcpus"], info["memory_mib"]) == (2, 2048)


def test_list_shows_what_a_running_vm_runs_with_and_its_next_boot(env, capsys):
    run(env, ALICE, ["define", "vm", "--template", "tiny", "--vcpus", "2", "--memory", "2048"])
    run(env, ALICE, ["define", "off", "--template", "tiny"])
    run(env, ALICE, ["start", "vm"])
    run(env, ALICE, ["edit", "vm", "--vcpus", "1", "--memory", "512"])  # from the next start
    capsys.readouterr()
    run(env, ALICE, ["list", "--all", "--format", "json"])
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["vm"]["vcpus"], rows["vm"]["memory_mib"]) == (2, 2048)
    assert rows["vm"]["next_boot"] == "1 vCPU, 512 MiB"
    assert (rows["off"]["vcpus"], rows["off"]["memory_mib"], rows["off"]["next_boot"]) == (
        1,
        1024,
        "",
    )
    run(env, ALICE, ["list", "--all"])
    table = capsys.readouterr().out.splitlines()
    assert "NEXT_BOOT" in table[0]
    assert any(line.startswith("vm ") and "1 vCPU, 512 MiB" in line for line in table)
    run(env, ALICE, ["destroy", "vm"])
    run(env, ALICE, ["list"])  # nothing running, nothing differs: no such column
    assert "NEXT_BOOT" not in capsys.readouterr().out


def test_libvirt_prints_no_errors_of_its_own(monkeypatch):
    """The backend silences libvirt's default error printer (its errors still
    come back as exceptions)."""
    handlers = []
    fake = types.SimpleNamespace(
        libvirtError=Exception,
        open=lambda uri: object(),
        registerErrorHandler=lambda fn, ctx: handlers.append((fn, ctx)),
    )
    monkeypatch.setitem(sys.modules, "libvirt", fake)
    backend.Libvirt("qemu:///system")
    assert len(handlers) == 1
    fn, ctx = handlers[0]
    assert fn(None, ("Domain not found",)) is None and ctx is None


def test_a_deleted_working_directory_is_no_traceback(env, in_deleted_directory):
    ns = cli.parser().parse_args(["define", "--xml", "vm.xml", "--template", "tiny"])
    app = cli.App(ALICE, env["cfg"], env["virt"], cli.userio.current_directory())
    with pytest.raises(UsageError, match="no longer exists"):
        app.cmd_define(ns)
    assert env["virt"].domains == {}


def test_help_shows_this_servers_defaults_and_limits(monkeypatch, capsys):
    cfg = config.from_dict(
        {"default_vcpus": 2, "default_memory_mib": 768, "default_disk_gib": 12,
         "limits": {"vms": 4, "vcpus": 6, "memory_mib": 6144, "disk_gib": 50}}
    )  # fmt: skip
    monkeypatch.setattr(config, "load", lambda path: cfg)
    with pytest.raises(SystemExit) as done:
        cli.main(["define", "--help"], environ={})
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 2)" in text and "(default 768)" in text and "(default 12," in text
    assert "4 VMs, 6 vCPUs, 6144 MiB of memory and 50 GiB of disk" in text
    assert "exit status" in text


def test_help_without_a_readable_configuration_shows_no_server_limits(monkeypatch, capsys):
    def unreadable(path):
        raise SetupError("cannot read the ie-virsh config")

    monkeypatch.setattr(config, "load", unreadable)
    with pytest.raises(SystemExit):
        cli.main(["define", "--help"], environ={})
    assert "On this server" not in capsys.readouterr().out
    # any other command reports the configuration
    assert cli.main(["list"], environ={}) == 7


def test_ie_virsh_completes_the_callers_own_names_only(env, capsys):
    run(env, ALICE, ["define", "a1", "--template", "tiny"])
    run(env, ALICE, ["define", "a2", "--template", "tiny"])
    run(env, ALICE, ["start", "a2"])
    run(env, BOB, ["define", "b1", "--template", "tiny"])
    capsys.readouterr()
    for kind, names in (("vms", ["a1", "a2"]), ("running", ["a2"]), ("templates", None)):
        run(env, ALICE, ["__complete", kind])
        out = capsys.readouterr().out.split()
        assert out == (names or ["debian-13", "tiny"])
    run(env, BOB, ["__complete", "vms"])
    assert capsys.readouterr().out.split() == ["b1"]


@pytest.fixture
def as_alice(env, monkeypatch):
    """ie-virsh's main as alice on the fake libvirt."""
    monkeypatch.setattr(config, "load", lambda path: env["cfg"])
    monkeypatch.setattr(cli, "from_sudo", lambda env_, min_uid, program: ALICE)
    monkeypatch.setattr(backend, "Libvirt", lambda uri: env["virt"])
    return env


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["define", "vm", "--template", "tiny", "--vcpus", "0"], "ie-virsh define --help"),
        (["start", "nosuch"], "ie-virsh list --all"),
        (["frobnicate"], "ie-virsh --help"),
        (["gdb", "vm"], "define a VM with -gdb"),
        (["console", "vm"], "ie-virsh start vm"),
        (["define", "vm", "--template", "tiny"], "ie-virsh undefine vm"),
    ],
)
def test_every_refusal_ends_with_a_hint(as_alice, capsys, args, hint):
    if args[0] in ("console", "gdb") or args == ["define", "vm", "--template", "tiny"]:
        run(as_alice, ALICE, ["define", "vm", "--template", "tiny"])
        capsys.readouterr()
    assert cli.main(args, environ={}) != 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("ie-virsh: error: ")
    assert err[-1].startswith("ie-virsh: hint: ") and hint in err[-1], err


def test_without_disk_a_vm_gets_at_least_its_templates_size(env, monkeypatch):
    """The server's default disk (1 GiB here) is smaller than the template
    (3 GiB): define without --disk takes the template's size; a --disk that
    small, asked for, is refused."""
    monkeypatch.setattr(backend, "virtual_size_gib", lambda qemu_img, image: 3)
    env["cfg"] = dataclasses.replace(env["cfg"], default_disk_gib=1)
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    assert env["made"][-1][2] == 3
    with pytest.raises(UsageError, match="needs a disk of 3 GiB"):
        run(env, ALICE, ["define", "small", "--template", "tiny", "--disk", "1"])
    assert "alice_small" not in env["virt"].domains
