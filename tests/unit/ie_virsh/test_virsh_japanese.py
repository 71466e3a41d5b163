"""ie-virsh under a Japanese locale (issue 25): its refusals, argparse's own
messages, hints and --help in Japanese, with the same exit statuses."""

from __future__ import annotations

import pytest
from bilingual import JA, JAPANESE, refused_in_both
from fakevirt import run

from ie_common.identity import Caller
from ie_virsh import backend, cli, config

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))

pytestmark = pytest.mark.real_language


@pytest.fixture
def as_alice(env, monkeypatch):
    monkeypatch.setattr(config, "load", lambda path: env["cfg"])
    monkeypatch.setattr(cli, "from_sudo", lambda env_, min_uid, program: ALICE)
    monkeypatch.setattr(backend, "Libvirt", lambda uri: env["virt"])
    run(env, ALICE, ["define", "vm", "--template", "tiny"])
    return env


REFUSALS = [
    ["frobnicate"],
    ["define"],
    ["define", "x", "--template", "tiny", "--vcpus", "0"],
    ["define", "x", "--template", "tiny", "--memory", "lots"],
    ["define", "vm", "--template", "tiny"],
    ["define", "y", "--template", "nosuch"],
    ["define", "big", "--template", "tiny", "--vcpus", "9"],
    ["start", "nosuch"],
    ["console", "vm"],
    ["gdb", "vm"],
    ["edit", "vm"],
    ["list", "--bogus"],
    ["list", "--format", "yaml"],
]


@pytest.mark.parametrize("args", REFUSALS, ids=" ".join)
def test_every_refusal_in_japanese_and_english_ends_the_same(as_alice, capsys, args):
    before = dict(as_alice["virt"].domains)
    _error, hint = refused_in_both(cli.main, "ie-virsh", args, capsys)
    assert JAPANESE.search(hint), hint
    assert as_alice["virt"].domains == before


def test_help_in_japanese_shows_this_servers_defaults(as_alice, capsys):
    with pytest.raises(SystemExit):
        cli.main(["define", "--help"], environ=JA)
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("使い方: sudo ie-virsh define")
    assert "管理者のテンプレートから VM を作成" in out and "終了ステータス" in out
    assert "VM 2 台、vCPU 3 個、メモリ 3072 MiB、ディスク 30 GiB まで" in out
    with pytest.raises(SystemExit):
        cli.main(["--help"], environ=JA)
    assert "自分の VM の一覧" in capsys.readouterr().out
