"""The lab is production plus documented differences (tools/lab/lab_layer.py):
every variable of the lab layer is a row of the admin guide's table."""

import shutil
from pathlib import Path

import pytest
import yaml

from tools.lab import lab_layer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the check reads: production's hosts, the lab layer,
    molecule/site's topology and the admin guide."""
    for rel in ("inventories", "docs/admin-guide.md", *map(str, lab_layer.SCENARIO_FILES)):
        src, dst = ROOT / rel, tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy(src, dst)
    return tmp_path


def test_the_repository_has_only_documented_differences():
    assert lab_layer.check() == []


def test_the_layer_is_read_whole(tree):
    found = lab_layer.layer(tree).places
    # group_vars files, a group_vars directory, host_vars, the vault, and
    # molecule/site's topology are all read
    assert "inventories/lab/group_vars/podman_hosts.yml" in found["podman_storage_driver"]
    assert "inventories/lab/group_vars/all/slurm.yml" in found["slurm_controller_config_overrides"]
    assert "inventories/lab/host_vars/gs02.yml" in found["cluster_address"]
    assert found["vault_*"] == {"inventories/lab/group_vars/all/vault.yml"}
    assert "molecule/site/inventory/hosts.yml" in found["ceph_osd_files"]
    # the lab-only directory server and its group are read and documented too
    assert found["ldap_server_users"] == {"inventories/lab/group_vars/ldap_servers.yml"}
    assert "inventories/lab/host_vars/ldap01.yml" in found["cluster_address"]


def test_an_undocumented_override_fails_naming_the_variable_and_file(tree):
    extra = tree / "inventories/lab/group_vars/general_servers.yml"
    data = yaml.safe_load(extra.read_text())
    data["base_sshd_password_authentication"] = True
    extra.write_text(yaml.safe_dump(data))
    found = lab_layer.check(tree)
    assert found == [
        "base_sshd_password_authentication is set in inventories/lab/group_vars/general_servers.yml"
        " but is not in the table of lab differences (docs/admin-guide.md)"
    ]


def test_an_override_in_a_new_group_vars_file_or_the_scenario_fails_too(tree):
    (tree / "inventories/lab/group_vars/ceph_mon.yml").write_text("---\nceph_mon_extra: 1\n")
    topology = tree / "molecule/site/inventory/hosts.yml"
    doc = yaml.safe_load(topology.read_text())
    doc["all"]["children"]["general_servers"]["hosts"]["gs02"]["slurm_gpu_type"] = "a100"
    topology.write_text(yaml.safe_dump(doc))
    found = lab_layer.check(tree)
    assert [line.split(" is set")[0] for line in found] == ["ceph_mon_extra", "slurm_gpu_type"]


def test_a_row_the_layer_no_longer_sets_fails(tree):
    backup = tree / "inventories/lab/group_vars/backup_server.yml"
    backup.unlink()
    assert lab_layer.check(tree) == [
        "the table of lab differences (docs/admin-guide.md) lists rsnapshot_no_create_root,"
        " which the lab layer does not set"
    ]


def test_only_the_first_column_of_the_table_documents():
    guide = (
        f"{lab_layer.SECTION}\n\n| variables | kind | why |\n|---|---|---|\n"
        "| `a`, `b` | x | because `c` is mentioned |\n\n## Next\n| `d` | | |\n"
    )
    assert lab_layer.documented(guide) == {"a", "b"}


def test_a_guide_without_the_table_is_an_error():
    with pytest.raises(SystemExit, match="no section"):
        lab_layer.documented("# Admin guide\n")
