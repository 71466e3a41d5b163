# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie_wrapper: a wrapper is installed once, checked by visudo, and reported honestly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gettext
import json
import os
import stat
import subprocess

from ansible_collections.ie.cluster.plugins.modules import ie_wrapper
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import run_module


class FakeTools(object):
    """python3 -m venv makes the layout a venv has; visudo refuses 'BROKEN'."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv, data=None, **kwargs):
        self.calls.append(argv)
        tool = os.path.basename(argv[0])
        if tool == "python3" and argv[1:3] == ["-m", "venv"]:
            prefix = argv[-1]
            os.makedirs(os.path.join(prefix, "bin"), exist_ok=True)
            os.makedirs(os.path.join(prefix, "lib", "python3.13", "site-packages"), exist_ok=True)
            with open(os.path.join(prefix, "bin", "python3"), "w") as handle:
                handle.write("")
            with open(os.path.join(prefix, "pyvenv.cfg"), "w") as handle:
                handle.write(
                    "include-system-site-packages = %s\n"
                    % ("true" if "--system-site-packages" in argv else "false")
                )
            return 0, "", ""
        if tool == "visudo":
            with open(argv[-1]) as handle:
                text = handle.read()
            if "BROKEN" in text:
                return 1, "", "syntax error near line 1"
            return 0, "parsed OK", ""
        raise AssertionError("unexpected %r" % (argv,))


def make_source(tmp_path, body="X = 1\n"):
    pkg = tmp_path / "src" / "ie_demo"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(body)
    (pkg / "cli.py").write_text("def main():\n    return 0\n")
    return str(tmp_path / "src")


def params(tmp_path, **extra):
    base = dict(
        name="ie-demo",
        package="ie_demo",
        source=make_source(tmp_path) if "source" not in extra else extra.pop("source"),
        prefix=str(tmp_path / "opt" / "ie-demo"),
        link=str(tmp_path / "bin" / "ie-demo"),
        config={"network": "ie-dept", "quota": {"containers": 3}},
        config_path=str(tmp_path / "etc" / "ie-demo.json"),
        sudoers="%students ALL=(root) NOPASSWD: /usr/local/bin/ie-demo",
        sudoers_path=str(tmp_path / "sudoers.d" / "ie_demo"),
    )
    base.update(extra)
    (tmp_path / "bin").mkdir(exist_ok=True)
    return base


def test_installs_everything_then_changes_nothing(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["changed"] is True
    prefix = args["prefix"]
    assert os.path.isfile(os.path.join(prefix, "lib/python3.13/site-packages/ie_demo/cli.py"))
    launcher = os.path.join(prefix, "bin", "ie-demo")
    with open(launcher) as handle:
        text = handle.read()
    assert text.startswith("#!%s/bin/python3 -I\n" % prefix)
    assert "from ie_demo.cli import main" in text
    assert stat.S_IMODE(os.stat(launcher).st_mode) == 0o755
    assert os.readlink(args["link"]) == launcher
    with open(args["config_path"]) as handle:
        assert json.load(handle) == args["config"]
    assert stat.S_IMODE(os.stat(args["sudoers_path"]).st_mode) == 0o440
    assert fake.calls[0][1:4] == ["-m", "venv", "--without-pip"]

    fake.calls = []
    again = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert again["changed"] is False, again["changes"]
    # the sudoers rule is unchanged, so visudo is not even asked
    assert fake.calls == []


def test_a_changed_package_is_reinstalled_and_only_it(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    make_source(tmp_path, body="X = 2\n")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, diff=True, **args)
    assert result["changes"] == ["packages ie_demo"]
    assert result["diff"][0]["before"] != result["diff"][0]["after"]
    installed = os.path.join(args["prefix"], "lib/python3.13/site-packages/ie_demo/__init__.py")
    with open(installed) as handle:
        assert handle.read() == "X = 2\n"


def test_check_mode_reports_and_writes_nothing(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, check_mode=True, **args)
    assert result["changed"] is True
    assert not os.path.exists(args["prefix"])
    assert not os.path.exists(args["config_path"])
    assert not os.path.exists(args["sudoers_path"])
    assert not os.path.lexists(args["link"])
    # visudo still checked the rule: check mode tells the truth about it
    assert [os.path.basename(c[0]) for c in fake.calls] == ["visudo"]


def test_a_rule_visudo_refuses_is_never_installed(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path, sudoers="BROKEN rule")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["failed"] is True
    assert "visudo refused" in result["msg"]
    assert not os.path.exists(args["sudoers_path"])


def test_an_empty_rule_installs_none_and_removes_an_old_one(tmp_path, monkeypatch, capsys):
    """A program students run without sudo (the console's agent) keeps no
    rule, and its own entry point."""
    fake = FakeTools()
    args = params(tmp_path)
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert os.path.exists(args["sudoers_path"])
    (tmp_path / "src" / "ie_demo" / "agent.py").write_text("def main():\n    return 0\n")
    args.update(sudoers="", entry_point="ie_demo.agent:main")
    check = run_module(ie_wrapper.main, monkeypatch, fake, capsys, check_mode=True, **args)
    assert "remove %s" % args["sudoers_path"] in check["changes"]
    assert os.path.exists(args["sudoers_path"])
    fake.calls = []
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["changed"] is True
    assert not os.path.lexists(args["sudoers_path"])
    assert fake.calls == []  # visudo is not asked about no rule
    with open(os.path.join(args["prefix"], "bin", "ie-demo")) as handle:
        assert "from ie_demo.agent import main" in handle.read()
    again = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert again["changed"] is False, again["changes"]


def test_config_change_shows_a_diff(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    args["config"] = {"network": "other"}
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, diff=True, **args)
    assert result["changes"] == [args["config_path"]]
    assert '"other"' in result["diff"][0]["after"]


def test_system_site_packages_change_recreates_the_venv(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    fake.calls = []
    args["system_site_packages"] = True
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert "--system-site-packages" in fake.calls[0] and "--clear" in fake.calls[0]


def test_missing_package_and_bad_entry_point(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path, package="ie_other")
    assert run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)["failed"] is True
    args = params(tmp_path, entry_point="no_colon")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert "module:function" in result["msg"]


def test_absent_removes_it_all(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    args["state"] = "absent"
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["changed"] is True
    for path in (args["prefix"], args["config_path"], args["sudoers_path"], args["link"]):
        assert not os.path.lexists(path)
    assert run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)["changed"] is False


def test_check_mode_on_a_fresh_host_without_source_or_sudo(tmp_path, monkeypatch, capsys):
    """Check mode before the source is copied and before sudo is installed."""
    fake = FakeTools()
    args = params(tmp_path, source=str(tmp_path / "not-copied-yet"))
    original = run_module.__globals__["basic"].AnsibleModule

    class NoVisudo(original):
        def get_bin_path(self, name, required=False, opt_dirs=None):
            if name == "visudo":
                return None
            return "/usr/bin/" + name

    monkeypatch.setattr(ie_wrapper, "AnsibleModule", NoVisudo)
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, check_mode=True, **args)
    assert result["changed"] is True
    assert "packages ie_demo (not on the host yet)" in result["changes"]
    assert args["sudoers_path"] in result["changes"]
    assert fake.calls == []  # nothing ran, not even visudo
    # for real, both are errors that say what is missing
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["failed"] is True


def test_extra_packages_are_installed_beside_and_tracked(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path, extra_packages=["ie_shared"])
    shared = tmp_path / "src" / "ie_shared"
    shared.mkdir()
    (shared / "__init__.py").write_text("Y = 1\n")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    site = os.path.join(args["prefix"], "lib/python3.13/site-packages")
    assert os.path.isfile(os.path.join(site, "ie_shared", "__init__.py"))
    assert os.path.isfile(os.path.join(site, "ie_demo", "cli.py"))
    assert run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)["changed"] is False
    (shared / "__init__.py").write_text("Y = 2\n")
    again = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert again["changes"] == ["packages ie_demo, ie_shared"]
    assert again["digest"] != result["digest"]
    shutil_missing = params(tmp_path, extra_packages=["ie_absent"])
    failed = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **shutil_missing)
    assert "ie_absent" in failed["msg"]


def test_check_mode_compares_with_the_controllers_source(tmp_path, monkeypatch, capsys):
    """The role skips copying when the host's source digest is the controller's;
    in check mode the copy is only pretended, so the module is told the
    digest the copy would bring and reports the packages as the real run will."""
    fake = FakeTools()
    args = params(tmp_path)
    installed = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    same = run_module(
        ie_wrapper.main,
        monkeypatch,
        fake,
        capsys,
        check_mode=True,
        source_digest=installed["digest"],
        **args,
    )
    assert same["changed"] is False, same["changes"]
    newer = run_module(
        ie_wrapper.main, monkeypatch, fake, capsys, check_mode=True, source_digest="0" * 64, **args
    )
    assert newer["changes"] == ["packages ie_demo"]
    # Outside check mode the source on the host is what is installed.
    real = run_module(ie_wrapper.main, monkeypatch, fake, capsys, source_digest="0" * 64, **args)
    assert real["changed"] is False, real["changes"]


def test_the_lookup_computes_the_digest_the_module_returns(tmp_path, monkeypatch, capsys):
    from ansible.errors import AnsibleLookupError
    from ansible_collections.ie.cluster.plugins.lookup.packages_digest import LookupModule

    fake = FakeTools()
    args = params(tmp_path)
    (tmp_path / "src" / "ie_demo" / "__pycache__").mkdir()
    (tmp_path / "src" / "ie_demo" / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"\0")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    lookup = LookupModule()
    assert lookup.run([args["source"]], packages=["ie_demo"]) == [result["digest"]]
    make_source(tmp_path, body="X = 3\n")
    assert lookup.run([args["source"]], packages=["ie_demo"]) != [result["digest"]]
    try:
        lookup.run([args["source"]], packages=["ie_demo", "ie_missing"])
    except AnsibleLookupError as exc:
        assert "ie_missing" in str(exc)
    else:
        raise AssertionError("a missing package directory was not refused")


class ToolsWithMsgfmt(FakeTools):
    """FakeTools, and the real msgfmt for the catalogues."""

    def __call__(self, argv, data=None, **kwargs):
        if os.path.basename(argv[0]) == "msgfmt":
            self.calls.append(argv)
            done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
            return done.returncode, done.stdout, done.stderr
        return FakeTools.__call__(self, argv, data, **kwargs)


CATALOGUE = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    "#, python-brace-format\n"
    'msgid "no such {thing}"\nmsgstr "%s"\n'
)


def add_catalogue(source, text):
    where = os.path.join(source, "ie_demo", "locale", "ja", "LC_MESSAGES")
    if not os.path.isdir(where):
        os.makedirs(where)
    with open(os.path.join(where, "ie-demo.po"), "w", encoding="utf-8") as handle:
        handle.write(text)


def test_catalogues_are_compiled_as_the_package_is_installed(tmp_path, monkeypatch, capsys):
    fake = ToolsWithMsgfmt()
    args = params(tmp_path)
    add_catalogue(args["source"], CATALOGUE % "{thing} がありません")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result["changed"] is True
    site = os.path.join(args["prefix"], "lib/python3.13/site-packages")
    with open(os.path.join(site, "ie_demo/locale/ja/LC_MESSAGES/ie-demo.mo"), "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("no such {thing}") == "{thing} がありません"
    # a .mo left in the source is neither copied nor part of the digest
    stale = os.path.join(args["source"], "ie_demo/locale/ja/LC_MESSAGES/ie-demo.mo")
    with open(stale, "wb") as handle:
        handle.write(b"stale")
    again = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert again["changed"] is False, again["changes"]


def test_a_translation_with_other_fields_is_never_installed(tmp_path, monkeypatch, capsys):
    fake = ToolsWithMsgfmt()
    args = params(tmp_path)
    add_catalogue(args["source"], CATALOGUE % "{object} がありません")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, **args)
    assert result.get("failed") is True
    assert "msgfmt" in result["msg"] or "ie-demo.po" in result["msg"]
    site = os.path.join(args["prefix"], "lib/python3.13/site-packages")
    assert not os.path.exists(os.path.join(site, "ie_demo"))


def test_a_host_without_msgfmt_is_told_what_to_install(tmp_path, monkeypatch, capsys):
    fake = FakeTools()
    args = params(tmp_path)
    add_catalogue(args["source"], CATALOGUE % "{thing} がありません")
    result = run_module(ie_wrapper.main, monkeypatch, fake, capsys, missing=("msgfmt",), **args)
    assert result.get("failed") is True
    assert "install the gettext package" in result["msg"]
