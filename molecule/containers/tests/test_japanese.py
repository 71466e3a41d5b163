"""The wrappers speak the student's language (issue 25): under
LANG=ja_JP.UTF-8, which sudo passes on, the installed ie-podman and
ie-virsh refuse and explain in Japanese from the catalogue ie_wrapper
compiled at install; under C they speak English."""

import pytest
from students import GS01, as_user

testinfra_hosts = ["podman://ctr-gs01"]
CATALOGUE = "lib/python3*/site-packages/ie_common/locale/ja/LC_MESSAGES/ie-cluster.mo"


def in_locale(lang, program, args):
    return as_user("alice", f"LANG={lang} sudo -n {program} {args}")


@pytest.mark.parametrize("program", ["ie-podman", "ie-virsh"])
def test_the_catalogue_was_compiled_at_install_and_only_root_writes_it(program):
    found = GS01.check_output(f"ls /opt/ie/{program}/{CATALOGUE}")
    mo = GS01.file(found.strip())
    assert mo.user == "root" and mo.mode == 0o644
    assert mo.size > 10000


def test_ie_podman_refuses_and_helps_in_japanese():
    ja = in_locale("ja_JP.UTF-8", "ie-podman", "run --gpus all web")
    assert ja.rc == 125, ja.stderr
    assert "ie-podman: エラー: オプション --gpus は ie-podman では使えません" in ja.stderr
    assert "ie-podman: ヒント: このホストの GPU には --gpu を使ってください" in ja.stderr
    en = in_locale("C.UTF-8", "ie-podman", "run --gpus all web")
    assert en.rc == 125 and "ie-podman: hint: use --gpu for this host's GPU" in en.stderr
    page = in_locale("ja_JP.UTF-8", "ie-podman", "--help")
    assert page.rc == 0, page.stderr
    assert page.stdout.startswith("使い方: sudo ie-podman COMMAND")
    assert "自分のコンテナの一覧" in page.stdout and "終了ステータス" in page.stdout


def test_ie_virsh_refuses_and_helps_in_japanese():
    ja = in_locale("ja_JP.UTF-8", "ie-virsh", "define x --template tiny --vcpus 0")
    assert ja.rc == 2, ja.stderr
    assert "ie-virsh: エラー: 引数 --vcpus: '0' は 1 以上の整数ではありません" in ja.stderr
    assert "sudo ie-virsh define --help で使い方を確認できます" in ja.stderr
    page = in_locale("ja_JP.UTF-8", "ie-virsh", "--help")
    assert "使い方: sudo ie-virsh COMMAND" in page.stdout and "自分の VM の一覧" in page.stdout
    assert "list your VMs" in in_locale("C", "ie-virsh", "--help").stdout
