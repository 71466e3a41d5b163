# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_template: a template is unpacked once per image digest, asked
of the registry first; the link switches in one rename; check mode pulls
nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os

import pytest
from ansible_collections.ie.cluster.plugins.modules import container_template
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import run_module

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


class FakeTools(object):
    """podman pull/save/rmi and apptainer build, as far as the module sees."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        tool, verb = os.path.basename(argv[0]), argv[1]
        if tool == "podman" and verb in ("pull", "rmi"):
            return 0, "", ""
        if tool == "podman" and verb == "save":
            with open(argv[argv.index("-o") + 1], "w") as f:
                f.write("archive of " + argv[-1])
            return 0, "", ""
        if tool == "apptainer" and verb == "build":
            os.makedirs(os.path.join(argv[3], "bin"))
            with open(os.path.join(argv[3], "marker"), "w") as f:
                f.write(argv[4])
            return 0, "", ""
        raise AssertionError("unexpected %r" % (argv,))


def registry_gives(monkeypatch, digest, seen=None):
    def fake(host, path, tag, auth, opener=None):
        if seen is not None:
            seen.append((host, path, tag, auth))
        return digest

    monkeypatch.setattr(container_template, "registry_digest", fake)


def args(tmp_path, **extra):
    base = dict(name="pytorch", image="registry01:5000/templates/pytorch:2.5", path=str(tmp_path))
    base.update(extra)
    return base


def test_a_new_template_is_unpacked_and_linked(tmp_path, monkeypatch, capsys):
    auth = tmp_path / "auth.json"
    token = base64.b64encode(b"ie-podman:secret").decode()
    auth.write_text(json.dumps({"auths": {"registry01:5000": {"auth": token}}}))
    seen = []
    registry_gives(monkeypatch, D1, seen)
    fake = FakeTools()
    result = run_module(
        container_template.main, monkeypatch, fake, capsys, **args(tmp_path, authfile=str(auth))
    )
    assert result["changed"] and result["digest"] == D1 and result["previous"] is None
    assert seen == [("registry01:5000", "templates/pytorch", "2.5", token)]
    assert os.readlink(str(tmp_path / "pytorch")) == "pytorch@" + D1
    sandbox = tmp_path / ("pytorch@" + D1)
    assert (sandbox / "marker").read_text().startswith("oci-archive:")
    assert oct(sandbox.stat().st_mode & 0o777) == oct(0o755)
    # the digest itself was pulled, with the credentials, and the copy removed
    ref = "registry01:5000/templates/pytorch@" + D1
    assert ["podman", "pull", "--quiet", "--authfile", str(auth), ref] in fake.calls
    assert ["podman", "rmi", "--ignore", ref] in fake.calls
    # nothing is left of the work
    assert sorted(os.listdir(str(tmp_path))) == ["auth.json", "pytorch", "pytorch@" + D1]


def test_the_same_digest_changes_and_pulls_nothing(tmp_path, monkeypatch, capsys):
    registry_gives(monkeypatch, D1)
    run_module(container_template.main, monkeypatch, FakeTools(), capsys, **args(tmp_path))
    fake = FakeTools()
    again = run_module(container_template.main, monkeypatch, fake, capsys, **args(tmp_path))
    assert not again["changed"] and again["previous"] == D1 and fake.calls == []


def test_a_new_push_is_picked_up_and_the_one_before_kept(tmp_path, monkeypatch, capsys):
    registry_gives(monkeypatch, D1)
    run_module(container_template.main, monkeypatch, FakeTools(), capsys, **args(tmp_path))
    (tmp_path / ("pytorch@" + "sha256:" + "0" * 64)).mkdir()  # an older one
    registry_gives(monkeypatch, D2)
    fake = FakeTools()
    check = run_module(
        container_template.main, monkeypatch, fake, capsys, check_mode=True, **args(tmp_path)
    )
    assert check["changed"] and check["digest"] == D2 and fake.calls == []
    assert os.readlink(str(tmp_path / "pytorch")) == "pytorch@" + D1
    result = run_module(container_template.main, monkeypatch, fake, capsys, **args(tmp_path))
    assert result["changed"] and result["previous"] == D1
    assert os.readlink(str(tmp_path / "pytorch")) == "pytorch@" + D2
    # the current and the one before stay (a running job may use it)
    assert sorted(os.listdir(str(tmp_path))) == ["pytorch", "pytorch@" + D1, "pytorch@" + D2]


def test_a_pinned_digest_asks_no_registry(tmp_path, monkeypatch, capsys):
    def refuse(*a, **k):
        raise AssertionError("asked the registry")

    monkeypatch.setattr(container_template, "registry_digest", refuse)
    image = "registry01:5000/templates/busybox@" + D2
    result = run_module(
        container_template.main,
        monkeypatch,
        FakeTools(),
        capsys,
        **args(tmp_path, name="busybox", image=image),
    )
    assert result["digest"] == D2 and os.path.islink(str(tmp_path / "busybox"))


def test_bad_input_and_an_unreachable_registry_fail_clearly(tmp_path, monkeypatch, capsys):
    bad = run_module(
        container_template.main,
        monkeypatch,
        FakeTools(),
        capsys,
        **args(tmp_path, image="docker.io:x/y"),
    )
    assert bad["failed"] and "is not HOST:PORT/REPOSITORY" in bad["msg"]
    for image in ("templates/x:1", "registry01:5000/templates/x:1\n"):  # no host; not whole
        refused = run_module(
            container_template.main, monkeypatch, FakeTools(), capsys, **args(tmp_path, image=image)
        )
        assert refused["failed"] and "is not HOST:PORT/REPOSITORY" in refused["msg"]
    named = run_module(
        container_template.main, monkeypatch, FakeTools(), capsys, **args(tmp_path, name="x\n")
    )
    assert named["failed"] and "is not a template name" in named["msg"]

    def down(*a, **k):
        raise OSError("connection refused")

    monkeypatch.setattr(container_template, "registry_digest", down)
    result = run_module(container_template.main, monkeypatch, FakeTools(), capsys, **args(tmp_path))
    assert result["failed"] and "cannot read the digest" in result["msg"]
    assert os.listdir(str(tmp_path)) == []
    # a check run on a new node, before its credentials exist: would change
    check = run_module(
        container_template.main,
        monkeypatch,
        FakeTools(),
        capsys,
        check_mode=True,
        **args(tmp_path, authfile=str(tmp_path / "missing.json")),
    )
    assert check["changed"] and not check.get("failed") and check["digest"] is None
    assert os.listdir(str(tmp_path)) == []


class Response(object):
    def __init__(self, headers):
        self.headers = headers


def test_the_registry_is_asked_with_a_head_of_the_manifest():
    asked = []

    def opener(url, **kwargs):
        asked.append((url, kwargs))
        return Response({"Docker-Content-Digest": D1})

    assert container_template.registry_digest("r:5000", "a/b", None, "dG9r", opener) == D1
    [(url, kwargs)] = asked
    assert url == "https://r:5000/v2/a/b/manifests/latest"
    assert kwargs["method"] == "HEAD" and kwargs["validate_certs"] is True
    assert kwargs["headers"]["Authorization"] == "Basic dG9r"
    assert "application/vnd.oci.image.index.v1+json" in kwargs["headers"]["Accept"]
    # no digest in the answer: refused, not taken as a change
    with pytest.raises(ValueError):
        container_template.registry_digest("r:5000", "a/b", "1", None, lambda *a, **k: Response({}))
