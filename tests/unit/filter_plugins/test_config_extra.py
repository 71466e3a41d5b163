"""Extra configuration keys (issue 26): they add to what the roles write,
never replace it, and never double it; the roles' templates say which keys
are theirs."""

from pathlib import Path

import jinja2
import pytest

from filter_plugins.config_extra import FilterModule
from filter_plugins.preflight import check_config_extra

ROOT = Path(__file__).resolve().parents[3]
SLURM_CONF = (ROOT / "roles/slurm_controller/templates/slurm.conf.j2").read_text()
SSSD_CONF = (ROOT / "roles/identity/templates/sssd.conf.j2").read_text()
CEPH_CONF = (ROOT / "roles/ceph/templates/ceph.conf.j2").read_text()
F = FilterModule().filters()


def slurm(extra):
    return F["slurm_extra_problems"](extra, SLURM_CONF, "host gs01")


def sssd(extra):
    return F["ini_extra_problems"](
        extra, SSSD_CONF, "identity_sssd_config_extra", "identity", "host gs01"
    )


def ceph(settings):
    return F["ceph_settings_problems"](settings, CEPH_CONF, "host gs01")


def test_new_slurm_keys_pass_and_render_in_order():
    extra = {"MaxJobCount": 20000, "SchedulerParameters": ["bf_continue", "bf_window=4320"]}
    assert slurm(extra) == []
    assert F["slurm_conf_lines"](extra) == (
        "MaxJobCount=20000\nSchedulerParameters=bf_continue,bf_window=4320"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # the role's own keys, in any case, and one only written sometimes
        ({"DefMemPerCPU": 2048}, "DefMemPerCPU is set by the slurm_controller role"),
        ({"clustername": "x"}, "clustername is set by the slurm_controller role"),
        ({"SlurmdParameters": "x"}, "SlurmdParameters is set by the slurm_controller role"),
        ({"AccountingStorageHost": "db"}, "AccountingStorageHost is set by the slurm_controller"),
        ({"NodeName": "gs09"}, "NodeName lines come from the inventory"),
        ({"PartitionName": "big"}, "PartitionName lines come from the inventory"),
        ({"MaxJobCount": 1, "maxjobcount": 2}, "maxjobcount is given twice"),
        ({"Max Job": 1}, "'Max Job' is not a slurm.conf key"),
        ({"MaxJobCount": "1\nSlurmUser=root"}, "must be one line"),
        ({"MaxJobCount": "1 # x"}, "must be one line"),
        ({"PreemptMode": True}, "is a yes/no"),
        ({"MaxJobCount": {"a": 1}}, "must be text or a number"),
        ([("MaxJobCount", 1)], "must be a mapping"),
    ],
)
def test_slurm_keys_that_clash_or_cannot_be_written_are_refused(extra, expected):
    problems = slurm(extra)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("slurm_controller_config_extra (host gs01)") for p in problems)


def test_every_key_the_slurm_template_writes_is_the_roles():
    """Each `Key=` line of the template (conditional ones included) is refused."""
    keys = [line.split("=")[0] for line in SLURM_CONF.splitlines() if line[:1].isalpha()]
    assert len(keys) > 30
    for key in keys:
        if key.lower() in ("nodename", "partitionname"):
            continue
        assert slurm({key: "1"}), key


def render(template, **values):
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(F)
    env.filters["comment"] = lambda text: "# " + text
    return env.from_string(template).render(**values)


SLURM_VALUES = {
    "ansible_managed": "managed",
    "inventory_hostname": "gs01",
    "slurm_controller_cluster_name": "ie",
    "slurm_controller_state_dir": "/var/spool/slurmctld",
    "slurm_controller_constrain_cores": True,
    "slurm_controller_def_mem_per_cpu": 1024,
    "slurm_controller_config_overrides": False,
    "slurm_controller_gres_types": ["gpu"],
    "slurm_controller_priority_weight_job_size": 1,
    "slurm_controller_priority_weight_qos": 1,
    "slurm_controller_priority_weight_age": 1,
    "slurm_controller_priority_max_age": "7-0",
    "slurm_controller_dbd_host": "gs01",
    "slurm_controller_dbd_port": 6819,
    "slurm_controller_node_lines": ["NodeName=gs01 CPUs=2"],
    "slurm_controller_partition_name": "main",
    "slurm_controller_partition_nodes": "ALL",
    "slurm_controller_default_time": "1:00:00",
    "slurm_controller_max_time": "2:00:00",
}


def test_slurm_extra_keys_are_written_once_after_the_roles_before_the_nodes():
    plain = render(SLURM_CONF, **SLURM_VALUES, slurm_controller_config_extra={})
    assert "MaxJobCount" not in plain and "site's own" not in plain
    text = render(SLURM_CONF, **SLURM_VALUES, slurm_controller_config_extra={"MaxJobCount": 9})
    lines = text.splitlines()
    assert lines.count("MaxJobCount=9") == 1
    assert lines.index("MaxJobCount=9") > lines.index("AccountingStorageTRES=gres/gpu")
    assert lines.index("MaxJobCount=9") < lines.index("NodeName=gs01 CPUs=2")
    # nothing else changed: the same file without the added block
    block = "# The site's own settings (slurm_controller_config_extra).\nMaxJobCount=9\n\n"
    assert text.replace(block, "") == plain


def test_new_sssd_keys_and_sections_pass():
    extra = {
        "domain/department": {"ldap_network_timeout": 4, "ldap_referrals": False},
        "nss": {"memcache_timeout": 600},
        "autofs": {"debug_level": 2},
    }
    assert sssd(extra) == []
    assert F["ini_lines"](extra["domain/department"]) == (
        "ldap_network_timeout = 4\nldap_referrals = false"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"domain/department": {"ldap_uri": "ldap://x"}}, "[domain/department] ldap_uri is set"),
        ({"domain/department": {"simple_allow_users": "x"}}, "simple_allow_users is set"),
        ({"nss": {"filter_users": "root,bin"}}, "[nss] filter_users is set by the identity"),
        ({"sssd": {"services": "nss, pam, sudo"}}, "[sssd] services is set"),
        ({"Domain X": {"a": 1}}, "'Domain X' is not a section name"),
        ({"nss": {"Bad-Key": 1}}, "'Bad-Key' is not a key"),
        ({"nss": {"memcache_timeout": "1\n[pam]"}}, "must be one line"),
        ({"nss": {}}, "must be a mapping of keys"),
        ({"nss": "memcache_timeout = 1"}, "must be a mapping of keys"),
    ],
)
def test_sssd_keys_that_clash_or_cannot_be_written_are_refused(extra, expected):
    problems = sssd(extra)
    assert any(expected in p for p in problems), problems


def test_ceph_settings_may_not_be_shadowed_by_ceph_conf_or_doubled():
    good = [
        {"who": "mon", "option": "auth_allow_insecure_global_id_reclaim", "value": False},
        {"who": "osd", "option": "osd_memory_target", "value": 943718400},
        {"who": "osd.3", "option": "osd_memory_target", "value": 1},
    ]
    assert ceph(good) == []
    doubled = ceph([*good, {"who": "osd", "option": "osd_memory_target", "value": 2}])
    assert doubled == [
        "ceph_cluster_settings + ceph_profile_settings (host gs01): osd osd_memory_target is "
        "given twice; each run would set it back and forth."
    ]
    shadowed = ceph([{"who": "global", "option": "public_network", "value": "10.0.0.0/8"}])
    assert "public_network is written to ceph.conf by the ceph role" in shadowed[0]
    assert "needs who, option and value" in ceph([{"who": "mon", "option": "x"}])[0]
    assert "not a Ceph daemon type" in ceph([{"who": "osd;x", "option": "a", "value": 1}])[0]


def test_the_preflight_checks_the_controller_every_sssd_host_and_the_first_monitor():
    hosts = {
        "gs01": {
            "slurm_controller_config_extra": {"DefMemPerCPU": 1},
            "identity_sssd_config_extra": {"nss": {"filter_users": "x"}},
            "ceph_cluster_settings": [{"who": "osd", "option": "a_b", "value": 1}],
            "ceph_profile_settings": [{"who": "osd", "option": "a_b", "value": 2}],
        },
        "gs02": {
            "slurm_controller_config_extra": {"DefMemPerCPU": 1},  # not the controller
            "identity_sssd_config_extra": {"pam": {"debug_level": 1}},
        },
    }
    groups = {"slurm_controller": ["gs01"], "ceph_mon": ["gs01", "gs02"]}
    problems = check_config_extra(hosts, groups)
    assert [p.split(":")[0] for p in problems] == [
        "slurm_controller_config_extra (host gs01)",
        "identity_sssd_config_extra (host gs01)",
        "ceph_cluster_settings + ceph_profile_settings (host gs01)",
    ]
