"""ie-podman under a Japanese locale (issue 25): its refusals, hints and
--help in Japanese, with the same exit statuses as in English."""

from __future__ import annotations

import pytest
from bilingual import EN, JA, JAPANESE, refused_in_both
from fakepodman import FakePodman, make_app

from ie_common.identity import Caller
from ie_podman import cli, config

ALICE = Caller(uid=1001, gid=1001, name="alice", home="/home/alice", groups=(1001,))

pytestmark = pytest.mark.real_language


@pytest.fixture
def as_alice(tmp_path, monkeypatch):
    podman = FakePodman()
    podman.add_image("img")
    cfg = make_app(ALICE, podman, tmp_path).cfg
    monkeypatch.setattr(config, "load", lambda path: cfg)
    monkeypatch.setattr(cli, "from_sudo", lambda env, min_uid: ALICE)
    monkeypatch.setattr(cli, "Podman", lambda path: podman)
    return podman


# One command line for each kind of refusal the wrapper makes itself.
REFUSALS = [
    ["frobnicate"],
    ["run", "--privileged", "img"],
    ["run", "--gpus", "all", "img"],
    ["run", "--network=host", "img"],
    ["run", "--name", "--rm", "img"],
    ["run", "--name", "", "img"],
    ["run", "--memory", "lots", "img"],
    ["run", "-v", "/etc:/etc", "img"],
    ["run", "--gpu", "img"],
    ["run"],
    ["exec", "nosuch", "true"],
    ["rm", "nosuch"],
    ["rmi", "nosuch"],
    ["stop", "--time", "soon", "x"],
    ["ps", "extra"],
    ["logs"],
    ["cp", "a", "b"],
    ["build", "."],
    ["registry", "frob"],
    ["ps", "--format", "yaml"],
]


@pytest.mark.parametrize("args", REFUSALS, ids=" ".join)
def test_every_refusal_in_japanese_and_english_ends_the_same(as_alice, capsys, args):
    _error, hint = refused_in_both(cli.main, "ie-podman", args, capsys)
    # a hint in Japanese, or the command line to type
    assert JAPANESE.search(hint) or hint.startswith("sudo ie-podman "), hint
    assert as_alice.containers == {}


def test_help_in_japanese_shows_this_servers_limits(as_alice, capsys):
    assert cli.main(["--help"], environ=JA) == 0
    out = capsys.readouterr().out
    assert out.startswith("使い方: sudo ie-podman COMMAND")
    assert "コマンド:" in out and "自分のコンテナの一覧" in out
    assert "コンテナ 2 個、イメージ 1 個" in " ".join(out.split())
    assert cli.main(["run", "--help"], environ=JA) == 0
    out = capsys.readouterr().out
    assert "オプション (podman と同じ):" in out and "バックグラウンドで実行" in out
    assert "終了ステータス" in out
    assert cli.main(["run", "--help"], environ=EN) == 0
    assert "run in the background" in capsys.readouterr().out
