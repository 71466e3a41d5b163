"""The preflight's checks, one class of mistake at a time, on a small valid
inventory that each test breaks in one place."""

import copy

import pytest

from filter_plugins.preflight import (
    LONG_ENOUGH,
    NOT_PEM,
    PEM,
    TOO_SHORT,
    VARIABLES,
    FilterModule,
    preflight_argument_spec,
    preflight_problems,
    preflight_view,
)

GROUPS = {
    "all": ["gs01", "gs02", "gs03", "st01", "st02", "backup01", "registry01"],
    "general_servers": ["gs01", "gs02", "gs03"],
    "storage_servers": ["st01", "st02"],
    "backup_server": ["backup01"],
    "registry": ["registry01"],
    "slurm_controller": ["gs01"],
    "slurmdbd": ["gs01"],
    "slurm_compute": ["gs01", "gs02", "gs03"],
    "ceph_mon": ["gs01", "gs02", "gs03"],
    "ceph_mgr": ["gs01", "gs02"],
    "ceph_mds": ["gs01", "gs02"],
    "ceph_osd": ["st01", "st02"],
    "podman_hosts": ["gs01", "gs02", "gs03"],
    "kvm_hosts": ["gs01", "gs02", "gs03"],
    "backup_sources": ["gs01"],
    "login_hosts": ["gs01", "gs02", "gs03"],
    "web_console": ["gs01"],
    "monitoring": ["registry01"],
}
HARDWARE = {
    "sockets": 2,
    "cores_per_socket": 4,
    "threads_per_core": 1,
    "real_memory": 1000,
    "gpus": 1,
}


def general(n):
    return {
        "cluster_address": f"10.0.0.1{n}",
        "ceph_public_network": "10.0.0.0/24",
        "ceph_fsid": "0f6f6d1e-1111-4222-8333-944455556666",
        "ceph_cluster_settings": [
            {"who": "global", "option": "osd_pool_default_size", "value": 2},
            {"who": "global", "option": "osd_pool_default_min_size", "value": 1},
        ],
        "ie_podman_subnet": "10.40.0.0/16",
        "ie_podman_gateway": "10.40.0.1",
        "ie_podman_pool_start": f"10.40.{n}.1",
        "ie_podman_pool_end": f"10.40.{n}.254",
        "ie_podman_quota": {"containers": 10, "images": 20},
        "ie_virsh_limits": {"vms": 3, "vcpus": 4, "memory_mib": 4096, "disk_gib": 40},
        "ie_virsh_host_limits": {"vms": 40, "vcpus": 80, "memory_mib": 262144, "disk_gib": 2000},
        "slurm_node_hardware": dict(HARDWARE),
        "slurm_gpu_type": "tesla",
        "slurm_gpu_job_types": ["tesla"],
        "slurm_controller_qos_tiers": [
            {"name": "short", "max_wall": "01:00:00"},
            {"name": "day", "max_wall": "1-00:00:00"},
            {"name": "long", "max_wall": ""},
        ],
        "slurm_controller_default_time": "1-00:00:00",
        "slurm_controller_max_time": "7-00:00:00",
        "slurm_controller_def_mem_per_cpu": 100,
    }


def valid():
    hosts = {f"gs0{n}": general(n) for n in (1, 2, 3)}
    hosts.update(
        {"st01": {"cluster_address": "10.0.0.21"}, "st02": {"cluster_address": "10.0.0.22"}}
    )
    hosts["backup01"] = {
        "cluster_address": "10.0.0.31",
        "rsnapshot_levels": [{"name": "daily", "keep": 7}, {"name": "weekly", "keep": 4}],
        "rsnapshot_backups": [{"host": "gs01", "path": "/home/", "dest": "homes/"}],
    }
    hosts["gs01"].update(
        {"ie_console_tls_mode": "provided", "ie_console_tls_key": PEM, "ie_console_tls_cert": PEM}
    )
    hosts["registry01"] = {
        "cluster_address": "10.0.0.41",
        "registry_tls_mode": "provided",
        "registry_tls_key": PEM,
        "registry_tls_cert": PEM,
        "registry_tls_ca": PEM,
        "alertmanager_email_to": "ie-admins@dept.example",
        "alertmanager_smarthost": "smtp.dept.example:25",
    }
    for hv in hosts.values():
        hv["monitoring_scrape_password"] = LONG_ENOUGH
    return {"hosts": hosts, "errors": []}


def problems_of(view=None, groups=None):
    return preflight_problems(view or valid(), groups or GROUPS)


def test_the_valid_inventory_passes():
    assert problems_of() == []


def broken(change):
    view, groups = valid(), copy.deepcopy(GROUPS)
    change(view["hosts"], groups)
    return problems_of(view, groups)


def setting(host, name, value):
    def change(hosts, _groups):
        hosts[host][name] = value

    return change


def grouping(group, members):
    def change(_hosts, groups):
        groups[group] = members

    return change


@pytest.mark.parametrize(
    "change, expected",
    [
        # groups
        (grouping("ceph_mon", ["gs01", "gs02"]), "group ceph_mon: has 2 monitors"),
        (
            grouping("general_servers", ["gs01", "gs02", "gs03", "st01"]),
            "st01 is in both general_servers and storage_servers",
        ),
        (grouping("slurm_controller", ["gs01", "gs02"]), "group slurm_controller: has 2 hosts"),
        (grouping("ceph_osd", []), "group ceph_osd: is empty"),
        (grouping("backup_sources", ["gs01", "backup01"]), "backup01 is the backup server itself"),
        # addresses
        (
            setting("gs02", "cluster_address", "10.0.0.11"),
            "cluster_address (hosts gs01 and gs02): both are 10.0.0.11",
        ),
        (
            setting("st01", "cluster_address", "10.0.0.300"),
            "cluster_address (host st01): '10.0.0.300' is not an IP",
        ),
        (
            setting("gs01", "ceph_public_network", "10.9.0.0/24"),
            "the monitor's cluster_address 10.0.0.11 is outside",
        ),
        (
            setting("gs01", "ie_podman_subnet", "10.40.0.0/33"),
            "ie_podman_subnet (host gs01): '10.40.0.0/33' is not a network",
        ),
        (
            setting("gs01", "ie_podman_subnet", "10.40.0.5/16"),
            "ie_podman_subnet (host gs01): '10.40.0.5/16' is not a network",
        ),
        (setting("gs01", "ie_podman_pool_start", "10.40.0.1"), "holds 10.40.0.1 (the gateway)"),
        (
            setting("gs01", "ie_podman_pool_end", "10.41.0.9"),
            "ie_podman_pool_end (host gs01): '10.41.0.9' is not an address in",
        ),
        (
            setting("gs02", "ie_podman_pool_start", "10.40.1.200"),
            "the pools 10.40.1.1-10.40.1.254 and 10.40.1.200-10.40.2.254 overlap",
        ),
        (
            setting("gs03", "ie_podman_pool_end", "10.40.2.9"),
            "10.40.3.1 comes after ie_podman_pool_end 10.40.2.9",
        ),
        # quotas and limits
        (
            setting("gs01", "ie_podman_quota", {"containers": -1, "images": 20}),
            "ie_podman_quota (host gs01): containers is -1",
        ),
        (
            setting("gs01", "ie_podman_user_quotas", {"alice": {"images": 0}}),
            "ie_podman_user_quotas.alice (host gs01): images is 0",
        ),
        (setting("gs01", "ie_podman_max_upload_mib", 0), "ie_podman_max_upload_mib (host gs01): 0"),
        (
            setting("gs01", "ie_virsh_limits", {"vms": 3, "vcpus": 100}),
            "vcpus 100 is more than the whole host allows",
        ),
        (
            setting("gs02", "ie_virsh_user_limits", {"bob": {"memory_mib": -5}}),
            "ie_virsh_user_limits.bob (host gs02): memory_mib is -5",
        ),
        # Slurm
        (
            setting("gs01", "slurm_gpu_type", "a100"),
            "slurm_gpu_type (host gs01): 'a100' is not a type that students",
        ),
        (setting("gs02", "slurm_gpu_type", "bad type"), "'bad type' is not a GRES type name"),
        (
            setting("gs03", "slurm_node_hardware", {**HARDWARE, "sockets": 0}),
            "slurm_node_hardware (host gs03): sockets is 0",
        ),
        (
            setting("gs03", "slurm_node_hardware", {**HARDWARE, "gpus": -1}),
            "gpus is -1; it must be 0 or more",
        ),
        (
            setting("gs01", "slurm_controller_def_mem_per_cpu", 5000),
            "more than the smallest node's real_memory (1000 MB)",
        ),
        (
            setting("gs01", "slurm_controller_default_time", "8-00:00:00"),
            "is longer than slurm_controller_max_time",
        ),
        (setting("gs01", "slurm_controller_max_time", "soon"), "'soon' is not a Slurm time"),
        (
            setting(
                "gs01",
                "slurm_controller_qos_tiers",
                [
                    {"name": "day", "max_wall": "1-00:00:00"},
                    {"name": "short", "max_wall": "01:00:00"},
                ],
            ),
            "short's max_wall is not longer than the tier before it",
        ),
        (
            setting(
                "gs01",
                "slurm_controller_qos_tiers",
                [{"name": "all", "max_wall": ""}, {"name": "short", "max_wall": "01:00:00"}],
            ),
            "all has no max_wall but is not the last tier",
        ),
        (
            setting(
                "gs01", "slurm_controller_qos_tiers", [{"name": "x", "max_wall": "9-00:00:00"}]
            ),
            "x's max_wall is longer than slurm_controller_max_time",
        ),
        (
            setting("gs01", "slurm_controller_qos_tiers", [{"name": "a"}, {"name": "a"}]),
            "the tier a is listed twice",
        ),
        # Ceph
        (setting("gs01", "ceph_fsid", ""), "ceph_fsid (host gs01): '' is not a UUID"),
        (
            setting(
                "gs01",
                "ceph_cluster_settings",
                [{"who": "global", "option": "osd_pool_default_size", "value": 3}],
            ),
            "osd_pool_default_size 3 needs that many OSD hosts (ceph_osd has 2)",
        ),
        (
            setting(
                "gs01",
                "ceph_cluster_settings",
                [
                    {"who": "global", "option": "osd_pool_default_size", "value": 2},
                    {"who": "global", "option": "osd_pool_default_min_size", "value": 3},
                ],
            ),
            "osd_pool_default_min_size 3 must be 1 to osd_pool_default_size (2)",
        ),
        # backups
        (
            setting("backup01", "rsnapshot_levels", [{"name": "daily", "keep": 0}]),
            "rsnapshot_levels (host backup01): level daily keeps 0",
        ),
        (
            setting(
                "backup01", "rsnapshot_backups", [{"host": "gs09", "path": "/home/", "dest": "h/"}]
            ),
            "gs09 is not a host of the inventory",
        ),
        (
            setting(
                "backup01", "rsnapshot_backups", [{"host": "gs02", "path": "/home/", "dest": "h/"}]
            ),
            "gs02 is not in backup_sources",
        ),
        (
            setting(
                "backup01", "rsnapshot_backups", [{"host": "gs01", "path": "home", "dest": "h/"}]
            ),
            "the path must be absolute",
        ),
        (
            setting(
                "backup01",
                "rsnapshot_backups",
                [{"host": "gs01", "path": "/home/", "dest": "../h/"}],
            ),
            "dest '../h/' must be relative",
        ),
        (
            setting(
                "backup01",
                "rsnapshot_backups",
                [
                    {"host": "gs01", "path": "/home/", "dest": "h/"},
                    {"host": "gs01", "path": "/srv/", "dest": "h/"},
                ],
            ),
            "dest h/ is used twice",
        ),
        # registry
        (
            setting("registry01", "registry_tls_key", NOT_PEM),
            "registry_tls_key (host registry01): registry_tls_mode is provided",
        ),
        # the web console
        (
            setting("gs01", "ie_console_tls_cert", NOT_PEM),
            "ie_console_tls_cert (host gs01): ie_console_tls_mode is provided but this is not "
            "a PEM certificate. Put it in the vault (vault_console_tls_cert).",
        ),
        (
            grouping("monitoring", ["registry01", "gs01"]),
            "group monitoring: has 2 hosts (registry01, gs01); it takes one at most",
        ),
        # where the alerts are mailed
        (
            setting("registry01", "alertmanager_email_to", "ie-admins"),
            "alertmanager_email_to (host registry01): 'ie-admins' is not a mail address",
        ),
        (
            setting("registry01", "alertmanager_smarthost", "smtp.dept.example"),
            "alertmanager_smarthost (host registry01): 'smtp.dept.example' is not host:port",
        ),
        (
            grouping("web_console", ["st01"]),
            "group web_console: st01 is not in podman_hosts, kvm_hosts, slurm_compute, login_hosts",
        ),
    ],
)
def test_each_mistake_is_named_with_its_variable_and_host(change, expected):
    found = broken(change)
    assert any(expected in problem for problem in found), found


def test_a_selfsigned_registry_needs_no_tls_material():
    view = valid()
    for name in ("registry_tls_key", "registry_tls_cert", "registry_tls_ca"):
        del view["hosts"]["registry01"][name]
    view["hosts"]["registry01"]["registry_tls_mode"] = "selfsigned_ca"
    assert problems_of(view) == []


def test_a_selfsigned_console_needs_no_tls_material():
    view = valid()
    for name in ("ie_console_tls_key", "ie_console_tls_cert"):
        del view["hosts"]["gs01"][name]
    view["hosts"]["gs01"]["ie_console_tls_mode"] = "selfsigned_ca"
    assert problems_of(view) == []


def test_the_view_templates_values_keeps_no_secret_and_reports_what_fails():
    class Host(dict):
        def __getitem__(self, name):
            if name == "ceph_fsid":
                raise ValueError("'vault_ceph_fsid' is undefined")
            return super().__getitem__(name)

    hostvars = {
        "gs01": Host(
            cluster_address="10.0.0.11",
            ceph_fsid="x",
            registry_tls_key="-----BEGIN PRIVATE KEY-----\nsecret",
            monitoring_scrape_password="secret-secret-secret",
            other=1,
        ),
        "gs02": Host(registry_tls_cert="not a certificate", monitoring_scrape_password="secret"),
    }
    view = preflight_view(hostvars, ["gs01", "gs02"])
    assert view["hosts"] == {
        "gs01": {
            "cluster_address": "10.0.0.11",
            "registry_tls_key": PEM,
            "monitoring_scrape_password": LONG_ENOUGH,
        },
        "gs02": {"registry_tls_cert": NOT_PEM, "monitoring_scrape_password": TOO_SHORT},
    }
    assert view["errors"] == [
        "ceph_fsid (host gs01): cannot be evaluated: 'vault_ceph_fsid' is undefined"
    ]
    assert "secret" not in repr(view)


def test_the_argument_specs_come_from_the_roles_without_required():
    spec = preflight_argument_spec(list(VARIABLES))
    assert spec["rsnapshot_backups"]["type"] == "list"
    assert "required" not in spec["rsnapshot_backups"]["options"]["host"]
    assert set(spec) <= set(VARIABLES)
    assert preflight_argument_spec(["nothing"]) == {}


def test_the_filters_are_exported():
    assert set(FilterModule().filters()) == {
        "preflight_view",
        "preflight_argument_spec",
        "preflight_problems",
    }


def test_a_monitoring_host_without_an_address_or_a_relay_is_told_both():
    view = valid()
    for name in ("alertmanager_email_to", "alertmanager_smarthost"):
        del view["hosts"]["registry01"][name]
    found = problems_of(view)
    assert [p.split(":")[0] for p in found] == [
        "alertmanager_email_to (host registry01)",
        "alertmanager_smarthost (host registry01)",
    ], found
    # no monitoring group: nothing to mail, nothing asked
    groups = {k: v for k, v in GROUPS.items() if k != "monitoring"}
    assert problems_of(view, groups) == []


def test_every_host_needs_the_scrape_password_when_there_is_a_monitoring_host():
    view = valid()
    view["hosts"]["st02"]["monitoring_scrape_password"] = TOO_SHORT
    del view["hosts"]["gs03"]["monitoring_scrape_password"]
    found = problems_of(view)
    assert [p.split(":")[0] for p in found] == [
        "monitoring_scrape_password (host gs03)",
        "monitoring_scrape_password (host st02)",
    ], found
    assert "vault_monitoring_scrape_password" in found[0]
    groups = {k: v for k, v in GROUPS.items() if k != "monitoring"}
    assert problems_of(view, groups) == []
