"""Ceph as admins and students see it: six containers, real daemons.

Runs after converge and idempotence; side_effect.yml then loses and replaces
servers.
"""

import json
import shlex

import testinfra

# podman exec, straight into the containers: the ansible:// backend costs
# an ansible run per command (about 1 s each on 2 cores).
testinfra_hosts = ["podman://ceph-gs01"]
MONS = ["ceph-gs01", "ceph-gs02", "ceph-gs03"]
OSD_HOSTS = ["ceph-st01", "ceph-st02"]
CLIENTS = [*MONS, "ceph-gs04"]


def node(name):
    return testinfra.get_host(f"podman://{name}")


def ceph_json(host, *args):
    return json.loads(host.check_output("ceph " + " ".join(args) + " --format json"))


def test_health_is_ok_with_no_warning(host):
    assert host.check_output("ceph health detail") == "HEALTH_OK"


def test_three_monitors_in_quorum(host):
    assert sorted(ceph_json(host, "quorum_status")["quorum_names"]) == MONS


def test_every_osd_up_and_in_two_per_storage_host(host):
    stat = ceph_json(host, "osd", "stat")
    assert stat["num_osds"] == 4
    assert stat["num_up_osds"] == 4 and stat["num_in_osds"] == 4
    tree = ceph_json(host, "osd", "tree")
    hosts = {n["name"]: n["children"] for n in tree["nodes"] if n["type"] == "host"}
    assert sorted(hosts) == OSD_HOSTS
    assert all(len(children) == 2 for children in hosts.values())


def test_failure_domain_is_the_host(host):
    pools = ceph_json(host, "osd", "pool", "ls", "detail")
    rules = {r["rule_id"]: r for r in ceph_json(host, "osd", "crush", "rule", "dump")}
    for pool in pools:
        steps = rules[pool["crush_rule"]]["steps"]
        assert {"op": "chooseleaf_firstn", "num": 0, "type": "host"} in steps, pool["pool_name"]


def test_replication_one_copy_per_storage_server(host):
    pools = {p["pool_name"]: p for p in ceph_json(host, "osd", "pool", "ls", "detail")}
    assert set(pools) == {".mgr", "homes_metadata", "homes_data"}
    for pool in pools.values():
        assert (pool["size"], pool["min_size"]) == (2, 1), pool["pool_name"]


def test_cephfs_active_with_standbys(host):
    fs = ceph_json(host, "fs", "get", "homes")["mdsmap"]
    states = [info["state"] for info in fs["info"].values()]
    assert states == ["up:active"]
    assert len(ceph_json(host, "fs", "dump")["standbys"]) == 2


def test_lab_profile_settings_are_in_the_config_database(host):
    assert host.check_output("ceph config get osd osd_memory_target") == "943718400"
    assert host.check_output("ceph config get mds mds_cache_memory_limit") == "134217728"
    assert host.check_output("ceph config get mon mon_data_avail_warn") == "5"
    assert host.check_output("ceph config get mon auth_allow_insecure_global_id_reclaim") == "false"


def test_no_manager_module_failed():
    mgr = ceph_json(node("ceph-gs01"), "mgr", "module", "ls")
    assert "restful" not in mgr["enabled_modules"]
    assert "pg_autoscaler" in mgr["always_on_modules"]
    assert "MGR_MODULE" not in node("ceph-gs01").check_output("ceph health detail")


def test_admin_keyring_only_on_monitors_and_mode_0600():
    for name in MONS:
        keyring = node(name).file("/etc/ceph/ceph.client.admin.keyring")
        assert keyring.exists and keyring.mode == 0o600 and keyring.user == "root"
    for name in [*OSD_HOSTS, "ceph-gs04"]:
        assert not node(name).file("/etc/ceph/ceph.client.admin.keyring").exists


def test_client_keys_are_restricted_to_the_file_system():
    client = node("ceph-gs04")
    keyring = client.file("/etc/ceph/ceph.client.homes-ceph-gs04.keyring")
    assert keyring.mode == 0o600
    caps = ceph_json(node("ceph-gs01"), "auth", "get", "client.homes-ceph-gs04")[0]["caps"]
    assert caps == {
        "mds": "allow rw fsname=homes",
        "mon": "allow r fsname=homes",
        "osd": "allow rw tag cephfs data=homes",
    }
    # The client key cannot read the cluster's users or change anything.
    denied = client.run("ceph --id homes-ceph-gs04 auth ls")
    assert denied.rc != 0
    denied = client.run("ceph --id homes-ceph-gs04 osd pool create stolen")
    assert denied.rc != 0


def test_every_client_mounts_homes_persistently():
    for name in CLIENTS:
        h = node(name)
        mount = h.mount_point("/home")
        assert mount.exists and mount.filesystem == "fuse.ceph-fuse", name
        assert "fuse.ceph" in h.file("/etc/fstab").content_string


def test_a_file_written_on_one_host_reads_back_on_another():
    writer, reader = node("ceph-gs04"), node("ceph-gs02")
    written = writer.check_output(
        "head -c 16M /dev/urandom > /home/verify.bin && sha256sum /home/verify.bin"
    ).split()[0]
    assert reader.check_output("sha256sum /home/verify.bin").split()[0] == written


def test_homes_belong_to_their_students_and_are_private():
    h = node("ceph-gs04")
    for user, uid in [("student1", 5001), ("student2", 5002)]:
        home = h.file(f"/home/{user}")
        assert home.is_directory and home.uid == uid and home.mode == 0o700
    run = lambda user, cmd: h.run(f"runuser -u {user} -- sh -c {shlex.quote(cmd)}")  # noqa: E731
    assert run("student1", "echo mine > /home/student1/notes.txt").rc == 0
    assert node("ceph-gs01").file("/home/student1/notes.txt").uid == 5001
    assert run("student2", "cat /home/student1/notes.txt").rc != 0
    assert run("student2", "touch /home/student1/intruder").rc != 0
    assert run("student2", "ls /home/student1").rc != 0
