"""The inventories describe the cluster of shared/SPEC.md, and the lab is the
same cluster: same groups, same host names, production's values under the
lab layer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.production import production_run
from tools.lab import directory

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB_VAULT_PASSWORD = ROOT / "inventories/lab-vault-password.LAB-ONLY-NOT-SECRET"


# The lab is production with the lab layer read after it (tools/lab/lab.sh).
SOURCES = {
    "production": ["-i", "inventories/production"],
    "lab": ["-i", "inventories/production", "-i", "inventories/lab"],
}


def inventory(name: str) -> dict:
    argv = [str(BIN / "ansible-inventory"), *SOURCES[name], "--list"]
    if name == "lab":
        argv += ["--vault-password-file", str(LAB_VAULT_PASSWORD)]
    out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def groups(inv: dict) -> dict[str, set[str]]:
    """Every group with all the hosts in it, children included."""

    def hosts_of(group: str) -> set[str]:
        entry = inv.get(group, {})
        found = set(entry.get("hosts", []))
        for child in entry.get("children", []):
            found |= hosts_of(child)
        return found

    return {g: hosts_of(g) for g in inv if g != "_meta"}


@pytest.fixture(scope="module")
def production() -> dict:
    return inventory("production")


@pytest.fixture(scope="module")
def lab() -> dict:
    return inventory("lab")


def test_production_topology_is_the_seeds_cluster(production):
    g = groups(production)
    assert g["general_servers"] == {"gs01", "gs02", "gs03", "gs04"}
    assert g["storage_servers"] == {"st01", "st02"}
    assert g["backup_server"] == {"backup01"}
    assert g["registry"] == {"registry01"}
    assert len(g["slurm_controller"]) == 1
    assert g["slurm_controller"] <= g["slurm_compute"]  # the controller also computes
    assert g["slurm_compute"] == g["general_servers"]
    assert g["ceph_osd"] == g["storage_servers"]
    assert g["ceph_mon"] == g["ceph_mgr"] == g["ceph_mds"]
    assert g["ceph_mon"] <= g["general_servers"]
    for svc in ("kvm_hosts", "podman_hosts", "apptainer_hosts", "gpu_hosts", "cephfs_client"):
        assert g[svc] == g["general_servers"], svc


def test_monitors_are_an_odd_number_for_quorum(production):
    assert len(groups(production)["ceph_mon"]) % 2 == 1


def test_lab_has_the_same_groups_and_hosts_as_production(production, lab):
    # plus the one lab-only host: the directory that stands in for the
    # department's (production has none of its own)
    lab_groups = groups(lab)
    assert lab_groups.pop("ldap_servers") == {"ldap01"}
    lab_groups["all"] = lab_groups.get("all", set()) - {"ldap01"}
    assert lab_groups == groups(production) | {"all": groups(production).get("all", set())}
    assert "ldap_servers" not in groups(production)


def test_every_host_but_the_directory_is_an_identity_client(production, lab):
    for inv in (production, lab):
        g = groups(inv)
        everyone = g["general_servers"] | g["storage_servers"] | g["backup_server"] | g["registry"]
        assert g["identity_clients"] == everyone


@pytest.mark.parametrize("name", ["production", "lab"])
def test_every_host_has_a_unique_cluster_address(name, production, lab):
    inv = {"production": production, "lab": lab}[name]
    hostvars = inv["_meta"]["hostvars"]
    addresses = [hostvars[h]["cluster_address"] for h in hostvars]
    assert len(addresses) == len(set(addresses)) == {"production": 8, "lab": 9}[name]


def test_lab_hosts_are_containers_on_the_lab_network(lab):
    hostvars = lab["_meta"]["hostvars"]
    for host, hv in hostvars.items():
        # tools/harness/connection_plugins/podman.py (tools/lab/lab.sh), pipelined
        assert hv["ansible_connection"] == "podman"
        assert hv["cluster_address"].startswith("10.213.0."), host
        # Literal, not "ie-lab-{{ inventory_hostname }}": that template is
        # rendered with the *delegating* host's name, so a task delegated to
        # gs01 from st01 (Ceph keys) would run in st01's container.
        assert hv["ansible_host"] == f"ie-lab-{host}", host


def test_production_addresses_are_placeholders_until_an_admin_sets_them(production):
    # The documentation range: a run against an unedited inventory goes nowhere.
    for hv in production["_meta"]["hostvars"].values():
        assert hv["cluster_address"].startswith("192.0.2.")


def test_lab_vault_decrypts_and_has_the_production_template_keys():
    vault = ROOT / "inventories/lab/group_vars/all/vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    lab_keys = set(directory.lab_vault())
    example = ROOT / "inventories/production/group_vars/all/vault.yml.example"
    prod_keys = set(yaml.safe_load(example.read_text()))
    assert lab_keys == prod_keys
    assert all(k.startswith("vault_") for k in lab_keys)


def test_no_unencrypted_production_vault_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "inventories/production"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for path in tracked:
        if Path(path).name.startswith("vault") and not path.endswith(".example"):
            assert (ROOT / path).read_text().startswith("$ANSIBLE_VAULT"), path


def test_site_playbook_lists_the_production_hosts():
    out = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "inventories/production", "--list-hosts", "site.yml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for host in ("gs01", "gs02", "gs03", "gs04", "st01", "st02", "backup01", "registry01"):
        assert host in out


def test_filters_give_every_host_an_etc_hosts_line_from_inventory_alone(lab):
    """What --limit renders: the base role's hosts block from inventory vars only."""
    out = subprocess.run(
        [
            str(BIN / "ansible"),
            *SOURCES["lab"],
            "--vault-password-file",
            str(LAB_VAULT_PASSWORD),
            "gs02",
            "-c",
            "local",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ base_cluster_hosts | hosts_file_lines }}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "10.213.0.11\\tgs01.lab.ie.test gs01" in out
    assert "10.213.0.41\\tregistry01.lab.ie.test registry01" in out


def test_requirements_yml_matches_the_bundled_collections():
    """requirements.yml documents what the pinned ansible package bundles."""
    import importlib.util

    spec = importlib.util.find_spec("ansible_collections")
    roots = [Path(p) for p in spec.submodule_search_locations]
    wanted = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    for entry in wanted:
        ns, name = entry["name"].split(".")
        manifests = [r / ns / name / "MANIFEST.json" for r in roots]
        found = [m for m in manifests if m.exists()]
        assert found, f"{entry['name']} is not installed in the virtualenv"
        manifest = json.loads(found[0].read_text())
        assert manifest["collection_info"]["version"] == entry["version"], entry["name"]


def test_no_test_stand_in_is_on_a_production_runs_plugin_paths():
    """None of a production run's plugin, role or collection paths reaches
    into the harness, the lab tools or the tests."""
    dump = production_run("ansible-config", "dump", "--format", "json").stdout
    settings = {
        s["name"]: s["value"] for s in json.loads(dump) if isinstance(s, dict) and "name" in s
    }
    paths = {
        name: value
        for name, value in settings.items()
        if name.endswith(("_PLUGIN_PATH", "_PLUGINS", "_PATHS", "ROLES_PATH")) and value
    }
    assert "DEFAULT_CONNECTION_PLUGIN_PATH" in paths
    for name, value in paths.items():
        for entry in value if isinstance(value, list) else str(value).split(":"):
            rel = os.path.relpath(os.path.realpath(entry), ROOT)
            assert not rel.startswith(("tools", "molecule", "tests")), (name, entry)
    # and the lab's connection is not found by name
    found = production_run("ansible-doc", "-t", "connection", "podman", check=False)
    assert "tools/harness" not in found.stdout + found.stderr
