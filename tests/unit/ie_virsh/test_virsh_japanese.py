"""ie-virsh under a Japanese locale (issue 25): its refusals, argparse's own
messages, hints and --help in Japanese, with the same exit statuses."""

from __future__ import annotations

import re

import pytest
from fakevirt import run

from ie_common.identity import Caller
from ie_virsh import backend, cli, config

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
JA = {"LANG": "ja_JP.UTF-8"}
EN = {"LANG": "C.UTF-8"}

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
    english = cli.main(args, environ=EN)
    err_en = capsys.readouterr().err.splitlines()
    japanese = cli.main(args, environ=JA)
    err_ja = capsys.readouterr().err.splitlines()
    assert japanese == english != 0
    assert err_en[0].startswith("ie-virsh: error: ") and not JAPANESE.search(err_en[0])
    error, hint = (
        err_ja[0].partition("ie-virsh: エラー: ")[2],
        err_ja[-1].partition("ie-virsh: ヒント: ")[2],
    )
    assert JAPANESE.search(error) and JAPANESE.search(hint), err_ja
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
