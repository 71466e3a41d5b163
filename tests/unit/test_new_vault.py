"""tools/new-vault: the admin guide's first step writes a vault whose secrets
pass the roles' own checks, never over an existing one, readable only by its
owner; and the guide's block runs as written on a control node that has only
the virtualenv (no ceph-authtool, uuidgen or OpenSSL)."""

from __future__ import annotations

import base64
import os
import re
import stat
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "new-vault"
VAULT = "inventories/production/group_vars/all/vault.yml"
BIN = Path(sys.executable).parent


new_vault = load_script(TOOL, "new_vault")


def role_pattern(path: str, variable: str) -> re.Pattern:
    """The pattern a role's own assert matches ``variable`` with."""
    text = (ROOT / path).read_text(encoding="utf-8")
    return re.compile(re.search(rf"{variable} is match\('([^']+)'\)", text).group(1))


def check_secrets(values: dict) -> None:
    cephx = role_pattern("roles/ceph_mon/tasks/main.yml", "ceph_mon_key")
    munge = role_pattern("roles/munge/tasks/main.yml", "munge_key")
    assert cephx.match(values["vault_ceph_mon_key"]) and cephx.match(values["vault_ceph_admin_key"])
    assert values["vault_ceph_mon_key"] != values["vault_ceph_admin_key"]
    assert munge.match(values["vault_munge_key"]) and len(values["vault_munge_key"]) == 1024
    assert str(uuid.UUID(values["vault_ceph_fsid"])) == values["vault_ceph_fsid"]
    for name in (
        "vault_slurmdbd_db_password",
        "vault_registry_ie_podman_password",
        "vault_registry_admin_password",
        "vault_monitoring_scrape_password",
    ):
        assert len(values[name]) >= 16, name  # the registry role's minimum


def test_a_cephx_key_is_what_ceph_authtool_prints():
    raw = base64.b64decode(new_vault.cephx_key())
    kind, seconds, _nsec, length = struct.unpack("<HIIH", raw[:12])
    assert (kind, length, len(raw)) == (1, 16, 28)
    assert abs(seconds - time.time()) < 60
    assert new_vault.cephx_key() != new_vault.cephx_key()


def test_the_vault_has_fresh_secrets_and_leaves_the_rest(tmp_path, capsys):
    dest = tmp_path / "vault.yml"
    assert new_vault.main([str(dest)]) == 0
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    values = yaml.safe_load(dest.read_text())
    example = yaml.safe_load(new_vault.EXAMPLE.read_text())
    assert set(values) == set(example)
    check_secrets(values)
    left = {k for k, v in values.items() if v == ""}
    assert left == {
        "vault_registry_tls_key",
        "vault_registry_tls_cert",
        "vault_registry_tls_ca",
        "vault_console_tls_cert",
        "vault_console_tls_key",
        "vault_ldap_bind_password",
        "vault_ldap_admin_password",
    }
    told = re.search(r"^left for you to fill: (.*)$", capsys.readouterr().out, re.M).group(1)
    assert set(told.split(", ")) == left
    # a second vault has other secrets
    other = tmp_path / "other.yml"
    assert new_vault.main([str(other)]) == 0
    others = yaml.safe_load(other.read_text())
    assert all(others[k] != values[k] for k in values if values[k])


def test_an_existing_vault_is_never_overwritten(tmp_path, capsys):
    dest = tmp_path / "vault.yml"
    dest.write_text("vault_ceph_fsid: the running cluster's\n")
    assert new_vault.main([str(dest)]) == 1
    assert dest.read_text() == "vault_ceph_fsid: the running cluster's\n"
    assert "is not overwritten" in capsys.readouterr().err
    link = tmp_path / "link.yml"
    link.symlink_to(tmp_path / "elsewhere.yml")
    assert new_vault.main([str(link)]) == 1
    assert not (tmp_path / "elsewhere.yml").exists()


def test_an_example_without_a_secret_line_is_refused():
    with pytest.raises(SystemExit, match="vault_munge_key"):
        new_vault.fill('vault_ceph_fsid: ""\n', {"vault_munge_key": "x"})


EDITOR = """#!/usr/bin/env python3
import re, sys
path = sys.argv[1]
text = open(path).read()
pem = "-----BEGIN CERTIFICATE-----\\\\nMIIB\\\\n-----END CERTIFICATE-----"
for name in ("vault_registry_tls_cert", "vault_registry_tls_ca"):
    text = text.replace(name + ': ""', name + ': "' + pem + '"')
bind = "vault_ldap_bind_password: "
text = text.replace(bind + '""', bind + '"from-the-directory"')
open(path, "w").write(text)
"""


def test_the_admin_guides_block_runs_as_written(tmp_path):
    """The guide's runnable block new-vault, in a copy of the repository's
    layout: the editor fills in what is left, ansible-vault asks for the
    password (no terminal here: it reads it from stdin)."""
    sys.path.insert(0, str(ROOT))
    from tools.docs import runnable

    block = runnable.blocks(ROOT / "docs" / "admin-guide.md")["new-vault"]
    (tmp_path / "tools").symlink_to(ROOT / "tools")
    (tmp_path / VAULT).parent.mkdir(parents=True)
    editor = tmp_path / "editor"
    editor.write_text(EDITOR)
    editor.chmod(0o700)
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "EDITOR": str(editor),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        ["bash", "-c", runnable.script(block)],
        cwd=tmp_path,
        env=env,
        input="the-vault-password\nthe-vault-password\n",
        capture_output=True,
        text=True,
        start_new_session=True,  # no controlling terminal: the prompt reads stdin
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    vault = tmp_path / VAULT
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    password = tmp_path / "password"
    password.write_text("the-vault-password\n")
    shown = subprocess.run(
        [BIN / "ansible-vault", "view", "--vault-id", f"prod@{password}", str(vault)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = yaml.safe_load(shown)
    check_secrets(values)
    assert values["vault_ldap_bind_password"] == "from-the-directory"
    assert values["vault_registry_tls_cert"].startswith("-----BEGIN CERTIFICATE-----")
    assert os.listdir(vault.parent) == ["vault.yml"]
