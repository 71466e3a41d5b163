"""site.yml against a bad inventory stops in its preflight play, before any
task on any host, with 0 changed on every host (issue 23). Each case is
production's inventory with one mistake layered over it (a second
inventory source, or an extra variable); its hosts are documentation
placeholders that no one can reach, so a task that tried to reach one would
show as UNREACHABLE."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.production import production_run

VAULT = ("-e", "@tools/render/example-vault.yml")
NO_DAILY = {"rsnapshot_levels": [{"name": "daily", "keep": 0, "on_calendar": "daily"}]}


def run(tmp_path, layer: dict | None = None, *extra: str, playbook: str = "site.yml"):
    sources = ["-i", "inventories/production"]
    if layer is not None:
        (tmp_path / "mistake.yml").write_text(yaml.safe_dump(layer))
        sources += ["-i", str(tmp_path / "mistake.yml")]
    return production_run(
        "ansible-playbook",
        *sources,
        *VAULT,
        *extra,
        playbook,
        check=False,
        ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"),
    )


def hosts(**host_vars):
    return {"all": {"hosts": host_vars}}


def stopped_in_preflight(result, message: str) -> None:
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert message in out, out
    assert "Check how the inventory fits together" in out or "argument specs" in out, out
    # No host was reached and nothing changed anywhere.
    assert "UNREACHABLE" not in out and "Gathering Facts" not in out, out
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)
    assert recap and all(changed == "0" for _, changed in recap), recap


CASES = {
    # caught before this play too, by the roles, later in the run
    "even monitors": (
        {"all": {"children": {"ceph_mon": {"hosts": {"gs04": None}}}}},
        [],
        "group ceph_mon: has 4 monitors; use an odd number",
    ),
    "no fsid": (None, ["-e", "vault_ceph_fsid="], "ceph_fsid (host gs01): '' is not a UUID"),
    "retain count 0": (
        hosts(backup01=NO_DAILY),
        [],
        "rsnapshot_levels (host backup01): level daily keeps 0",
    ),
    "registry without TLS": (
        None,
        ["-e", "vault_registry_tls_key="],
        "registry_tls_key (host registry01): registry_tls_mode is provided but this is not a PEM",
    ),
    "malformed pool CIDR": (
        hosts(gs01={"ie_podman_subnet": "10.40.0.0/33"}),
        [],
        "ie_podman_subnet (host gs01): '10.40.0.0/33' is not a network",
    ),
    "alerts to no relay": (
        hosts(registry01={"alertmanager_smarthost": "smtp.dept.example"}),
        [],
        "alertmanager_smarthost (host registry01): 'smtp.dept.example' is not host:port",
    ),
    # never caught before
    "pool holds the gateway": (
        hosts(gs02={"ie_podman_pool_start": "10.40.0.1"}),
        [],
        "holds 10.40.0.1 (the gateway)",
    ),
    "negative quota": (
        hosts(gs03={"ie_podman_quota": {"containers": -1, "images": 20}}),
        [],
        "ie_podman_quota (host gs03): containers is -1",
    ),
    "GPU type no job asks for": (
        hosts(gs01={"slurm_gpu_type": "a100"}),
        [],
        "slurm_gpu_type (host gs01): 'a100' is not a type that students' job",
    ),
    "exclusive groups": (
        {"all": {"children": {"general_servers": {"hosts": {"st01": None}}}}},
        [],
        "st01 is in both general_servers and storage_servers",
    ),
    "a wrong type": (
        hosts(gs01={"ie_podman_quota": "ten"}),
        [],
        "ie_podman_quota",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_inventory_stops_site_yml_before_any_host_changes(tmp_path, case):
    layer, extra, message = CASES[case]
    stopped_in_preflight(run(tmp_path, layer, *extra), message)


@pytest.mark.parametrize("mode", [["--check"], ["--limit", "gs02"], ["--tags", "base_sshd"]])
def test_it_stops_in_check_mode_under_limit_and_tags_too(tmp_path, mode):
    # the mistake is on gs01: --limit gs02 still reads the whole inventory
    layer, extra, message = CASES["GPU type no job asks for"]
    stopped_in_preflight(run(tmp_path, layer, *extra, *mode), message)


def test_every_problem_is_listed_at_once(tmp_path):
    layer = hosts(
        gs01={"slurm_gpu_type": "a100"},
        gs02={"ie_podman_pool_start": "10.40.0.1"},  # the gateway, and into gs01's pool
        backup01=NO_DAILY,
    )
    result = run(tmp_path, layer)
    stopped_in_preflight(result, "The inventory has 4 problem(s); nothing was changed")


def test_production_passes_the_preflight(tmp_path):
    result = run(tmp_path, None, "--check", playbook="playbooks/preflight.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the inventory passed the preflight (8 hosts)" in result.stdout
