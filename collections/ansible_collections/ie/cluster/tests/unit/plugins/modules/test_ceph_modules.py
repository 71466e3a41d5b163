# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_key, ceph_pool, ceph_fs, ceph_config and ceph_health against a fake ceph."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.ie.cluster.plugins.module_utils import ceph as ceph_utils
from ansible_collections.ie.cluster.plugins.modules import (
    ceph_config,
    ceph_fs,
    ceph_health,
    ceph_key,
    ceph_pool,
)
from ansible_collections.ie.cluster.tests.unit.plugins.modules import ceph_fake
from ansible_collections.ie.cluster.tests.unit.plugins.modules.ceph_fake import FakeCeph
from ansible_collections.ie.cluster.tests.unit.plugins.modules.sacctmgr_fake import run_module

MGR_CAPS = {"mon": "allow profile mgr", "osd": "allow *", "mds": "allow *"}


# ---------------------------------------------------------------- ceph_key
def test_key_is_created_with_caps_and_written_0600(monkeypatch, capsys, tmp_path):
    fake = FakeCeph()
    dest = str(tmp_path / "keyring")
    result = run_module(
        ceph_key.main, monkeypatch, fake, capsys, name="mgr.gs01", caps=MGR_CAPS, dest=dest
    )
    assert result["changed"] is True
    assert fake.changes() == [
        [
            "auth",
            "get-or-create",
            "mgr.gs01",
            "mds",
            "allow *",
            "mon",
            "allow profile mgr",
            "osd",
            "allow *",
        ]
    ]
    with open(dest) as handle:
        assert handle.read() == "[mgr.gs01]\n\tkey = AQfake1==\n"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert "key" not in result
    again = run_module(
        ceph_key.main, monkeypatch, fake, capsys, name="mgr.gs01", caps=MGR_CAPS, dest=dest
    )
    assert again["changed"] is False
    assert len(fake.changes()) == 1


def test_key_caps_are_updated_and_the_key_kept(monkeypatch, capsys):
    fake = FakeCeph(users={"client.x": {"key": "AQold==", "caps": {"mon": "allow r"}}})
    result = run_module(
        ceph_key.main,
        monkeypatch,
        fake,
        capsys,
        diff=True,
        name="client.x",
        caps={"mon": "allow r", "osd": "allow rw pool=p"},
    )
    assert result["changed"] is True
    assert fake.changes() == [
        ["auth", "caps", "client.x", "mon", "allow r", "osd", "allow rw pool=p"]
    ]
    assert fake.users["client.x"]["key"] == "AQold=="
    assert result["diff"]["before"]["caps"] == {"mon": "allow r"}
    assert "AQold" not in str(result["diff"])


def test_key_check_mode_reports_but_does_not_create(monkeypatch, capsys, tmp_path):
    fake = FakeCeph()
    dest = str(tmp_path / "keyring")
    result = run_module(
        ceph_key.main,
        monkeypatch,
        fake,
        capsys,
        check_mode=True,
        name="client.y",
        caps={"mon": "allow r"},
        dest=dest,
    )
    assert result["changed"] is True
    assert fake.users == {}
    assert not os.path.exists(dest)


def test_key_fs_authorize_creates_with_ceph_fs_authorize_and_restores_caps(monkeypatch, capsys):
    fake = FakeCeph()
    auth = {"fs": "homes", "path": "/", "permission": "rw"}
    run_module(
        ceph_key.main, monkeypatch, fake, capsys, name="client.homes-gs02", fs_authorize=auth
    )
    assert fake.changes() == [["fs", "authorize", "homes", "client.homes-gs02", "/", "rw"]]
    assert fake.users["client.homes-gs02"]["caps"]["osd"] == "allow rw tag cephfs data=homes"
    # Somebody widened the caps by hand: they are brought back.
    fake.users["client.homes-gs02"]["caps"]["osd"] = "allow *"
    result = run_module(
        ceph_key.main, monkeypatch, fake, capsys, name="client.homes-gs02", fs_authorize=auth
    )
    assert result["changed"] is True
    assert fake.changes()[-1][:3] == ["auth", "caps", "client.homes-gs02"]
    assert fake.users["client.homes-gs02"]["caps"] == ceph_key.authorize_caps("homes", "/", "rw")


def test_key_absent_deletes_and_bad_names_are_refused(monkeypatch, capsys):
    fake = FakeCeph(users={"client.old": {"key": "AQk==", "caps": {}}})
    result = run_module(ceph_key.main, monkeypatch, fake, capsys, name="client.old", state="absent")
    assert result["changed"] is True and fake.users == {}
    bad = run_module(ceph_key.main, monkeypatch, fake, capsys, name="admin")
    assert bad["failed"] is True and "TYPE.ID" in bad["msg"]


def test_key_is_returned_only_when_asked(monkeypatch, capsys):
    fake = FakeCeph(
        users={
            "client.bootstrap-osd": {
                "key": "AQboot==",
                "caps": {"mon": "allow profile bootstrap-osd"},
            }
        }
    )
    result = run_module(
        ceph_key.main, monkeypatch, fake, capsys, name="client.bootstrap-osd", return_key=True
    )
    assert result["changed"] is False and result["key"] == "AQboot=="


# ---------------------------------------------------------------- ceph_pool
def test_pool_created_then_reconciled(monkeypatch, capsys):
    fake = FakeCeph()
    params = dict(name="homes_data", size=2, min_size=1, application="cephfs")
    result = run_module(ceph_pool.main, monkeypatch, fake, capsys, **params)
    assert result["changed"] is True
    assert fake.changes() == [
        ["osd", "pool", "create", "homes_data", "replicated", "--autoscale-mode=on"],
        ["osd", "pool", "set", "homes_data", "size", "2"],
        ["osd", "pool", "set", "homes_data", "min_size", "1"],
        ["osd", "pool", "application", "enable", "homes_data", "cephfs"],
    ]
    assert result["pool"] == {
        "name": "homes_data",
        "size": 2,
        "min_size": 1,
        "pg_autoscale_mode": "on",
        "applications": ["cephfs"],
    }
    assert run_module(ceph_pool.main, monkeypatch, fake, capsys, **params)["changed"] is False
    fake.pools["homes_data"]["min_size"] = 2  # drift
    result = run_module(ceph_pool.main, monkeypatch, fake, capsys, **params)
    assert result["changed"] is True
    assert fake.changes()[-1] == ["osd", "pool", "set", "homes_data", "min_size", "1"]


def test_pool_check_mode_changes_nothing(monkeypatch, capsys):
    fake = FakeCeph(pools={"p": {"size": 3, "min_size": 2, "mode": "on", "pg_num": 32, "apps": []}})
    result = run_module(
        ceph_pool.main, monkeypatch, fake, capsys, check_mode=True, diff=True, name="p", size=2
    )
    assert result["changed"] is True
    assert fake.pools["p"]["size"] == 3
    assert result["diff"]["after"]["size"] == 2


def test_pool_refuses_min_size_above_size_and_pg_num_with_autoscale(monkeypatch, capsys):
    fake = FakeCeph()
    bad = run_module(ceph_pool.main, monkeypatch, fake, capsys, name="p", size=2, min_size=3)
    assert bad["failed"] and "cannot exceed" in bad["msg"]
    bad = run_module(ceph_pool.main, monkeypatch, fake, capsys, name="p", pg_num=8)
    assert bad["failed"] and "autoscaler" in bad["msg"]
    assert fake.calls == []


# ---------------------------------------------------------------- ceph_fs
def test_fs_created_and_settings_kept(monkeypatch, capsys):
    fake = FakeCeph()
    params = dict(name="homes", metadata_pool="homes_metadata", data_pool="homes_data")
    result = run_module(ceph_fs.main, monkeypatch, fake, capsys, **params)
    assert fake.changes() == [
        ["fs", "new", "homes", "homes_metadata", "homes_data"],
        ["fs", "set", "homes", "standby_count_wanted", "1"],
    ]
    assert result["changed"] is True
    assert run_module(ceph_fs.main, monkeypatch, fake, capsys, **params)["changed"] is False


def test_fs_on_other_pools_is_an_error_not_a_recreation(monkeypatch, capsys):
    fake = FakeCeph(fs={"homes": {"meta": "m", "data": ["d"], "max_mds": 1, "standby": 1}})
    result = run_module(
        ceph_fs.main, monkeypatch, fake, capsys, name="homes", metadata_pool="other", data_pool="d"
    )
    assert result["failed"] is True and "never changed" in result["msg"]
    assert fake.changes() == []


# ---------------------------------------------------------------- ceph_config
def test_config_compares_in_cephs_own_form(monkeypatch, capsys):
    fake = FakeCeph()
    params = dict(who="mds", option="mds_cache_memory_limit", value="256M")
    result = run_module(ceph_config.main, monkeypatch, fake, capsys, **params)
    assert result["changed"] is True
    assert fake.changes() == [["config", "set", "mds", "mds_cache_memory_limit", "268435456"]]
    assert run_module(ceph_config.main, monkeypatch, fake, capsys, **params)["changed"] is False
    params["value"] = 268435456
    assert run_module(ceph_config.main, monkeypatch, fake, capsys, **params)["changed"] is False


def test_config_masks_are_separate_settings(monkeypatch, capsys):
    fake = FakeCeph(config={("osd", "osd_memory_target"): "4294967296"})
    params = dict(who="osd/host:st01", option="osd_memory_target", value="939524096")
    result = run_module(ceph_config.main, monkeypatch, fake, capsys, **params)
    assert result["changed"] is True
    assert result["setting"] == {
        "section": "osd",
        "mask": "host:st01",
        "option": "osd_memory_target",
        "value": "939524096",
    }
    assert fake.config[("osd", "osd_memory_target")] == "4294967296"
    assert run_module(ceph_config.main, monkeypatch, fake, capsys, **params)["changed"] is False


def test_config_booleans_absent_and_unknown_options(monkeypatch, capsys):
    fake = FakeCeph(config={("mon", "auth_allow_insecure_global_id_reclaim"): "false"})
    same = run_module(
        ceph_config.main,
        monkeypatch,
        fake,
        capsys,
        who="mon",
        option="auth_allow_insecure_global_id_reclaim",
        value=False,
    )
    assert same["changed"] is False
    gone = run_module(
        ceph_config.main,
        monkeypatch,
        fake,
        capsys,
        check_mode=True,
        who="mon",
        option="auth_allow_insecure_global_id_reclaim",
        state="absent",
    )
    assert gone["changed"] is True and fake.config  # check mode: still there
    unknown = run_module(
        ceph_config.main, monkeypatch, fake, capsys, who="mon", option="no_such", value=1
    )
    assert unknown["failed"] is True and "no option" in unknown["msg"]
    bad = run_module(
        ceph_config.main,
        monkeypatch,
        fake,
        capsys,
        who="mon",
        option="auth_allow_insecure_global_id_reclaim",
        value="perhaps",
    )
    assert bad["failed"] is True and "boolean" in bad["msg"]
    assert fake.changes() == []


def test_config_normalize():
    assert ceph_config.normalize("1G", "size") == str(1024**3)
    assert ceph_config.normalize("Yes", "bool") == "true"
    assert ceph_config.normalize("007", "int") == "7"
    assert ceph_config.split_who("osd/class:ssd") == ("osd", "class:ssd")


SETTINGS = [
    {"who": "mon", "option": "auth_allow_insecure_global_id_reclaim", "value": False},
    {"who": "mds", "option": "mds_cache_memory_limit", "value": "128M"},
    {"who": "osd/host:st01", "option": "osd_memory_target", "value": 943718400},
    {"who": "mon", "option": "mon_data_avail_warn", "value": 5},
]


def reads(fake):
    return [c[len(ceph_fake.BASE) : -2] for c in fake.calls if "--format" in c]


def test_config_settings_in_one_call_read_the_database_once(monkeypatch, capsys):
    fake = FakeCeph(config={("mon", "auth_allow_insecure_global_id_reclaim"): "false"})
    result = run_module(ceph_config.main, monkeypatch, fake, capsys, diff=True, settings=SETTINGS)
    assert result["changed"] is True
    assert fake.changes() == [
        ["config", "set", "mds", "mds_cache_memory_limit", "134217728"],
        ["config", "set", "osd/host:st01", "osd_memory_target", "943718400"],
        ["config", "set", "mon", "mon_data_avail_warn", "5"],
    ]
    # One dump before and one to read back; help only for the three not yet stored.
    assert reads(fake) == [
        ["config", "dump"],
        ["config", "help", "mds_cache_memory_limit"],
        ["config", "help", "osd_memory_target"],
        ["config", "help", "mon_data_avail_warn"],
        ["config", "dump"],
    ]
    assert [s["value"] for s in result["settings"]] == ["false", "134217728", "943718400", "5"]
    assert result["settings"][2]["mask"] == "host:st01"
    assert result["diff"]["before"][0]["value"] == "false" and result["diff"]["before"][1] is None
    fake.calls = []
    again = run_module(ceph_config.main, monkeypatch, fake, capsys, settings=SETTINGS)
    assert again["changed"] is False and again["commands"] == []
    # "128M" is not how Ceph stores it, so only that option's type is asked.
    assert reads(fake) == [["config", "dump"], ["config", "help", "mds_cache_memory_limit"]]
    assert fake.changes() == []
    # The same values written in another form Ceph stores alike: help, no change.
    other = [dict(SETTINGS[1], value=134217728), dict(SETTINGS[0], value="no")]
    assert (
        run_module(ceph_config.main, monkeypatch, fake, capsys, settings=other)["changed"] is False
    )
    assert fake.changes() == []


def test_config_settings_bad_input_changes_nothing(monkeypatch, capsys):
    fake = FakeCeph()
    bad_value = [*SETTINGS[:2], {"who": "mon", "option": "mon_data_avail_warn"}]
    unknown = [*SETTINGS[:2], {"who": "mon", "option": "no_such", "value": 1}]
    unknown_absent = [*SETTINGS[:2], {"who": "mon", "option": "no_such", "state": "absent"}]
    twice = [*SETTINGS[:2], dict(SETTINGS[1], value="256M")]
    bad_who = [*SETTINGS[:2], dict(SETTINGS[1], who="osd/host st01")]
    not_bool = [*SETTINGS[1:], dict(SETTINGS[0], value="perhaps")]
    for settings, message in (
        (bad_value, "value is required"),
        (unknown, "no option named 'no_such'"),
        (unknown_absent, "no option named 'no_such'"),
        (twice, "mds mds_cache_memory_limit is given twice"),
        (bad_who, "who must be"),
        (not_bool, "expects a boolean"),
    ):
        result = run_module(ceph_config.main, monkeypatch, fake, capsys, settings=settings)
        assert result["failed"] is True and message in result["msg"], settings
    assert fake.changes() == [] and fake.config == {}


def test_config_settings_check_mode_and_removal(monkeypatch, capsys):
    fake = FakeCeph(config={("mon", "mon_data_avail_warn"): "5", ("osd", "osd_memory_target"): "1"})
    settings = [
        {"who": "mon", "option": "mon_data_avail_warn", "state": "absent"},
        {"who": "osd", "option": "osd_memory_target", "value": "1G"},
    ]
    check = run_module(
        ceph_config.main, monkeypatch, fake, capsys, check_mode=True, settings=settings
    )
    assert check["changed"] is True
    assert check["commands"][0][-3:] == ["rm", "mon", "mon_data_avail_warn"]
    assert check["settings"][1]["value"] == "1" and fake.changes() == []
    done = run_module(ceph_config.main, monkeypatch, fake, capsys, settings=settings)
    assert done["settings"] == [
        None,
        {"section": "osd", "mask": "", "option": "osd_memory_target", "value": str(1024**3)},
    ]
    assert fake.config == {("osd", "osd_memory_target"): str(1024**3)}


def test_config_settings_and_one_setting_exclude_each_other(monkeypatch, capsys):
    fake = FakeCeph()
    both = run_module(
        ceph_config.main, monkeypatch, fake, capsys, settings=SETTINGS, who="mon", option="x"
    )
    assert both["failed"] is True and "mutually exclusive" in both["msg"]
    neither = run_module(ceph_config.main, monkeypatch, fake, capsys, value=1)
    assert neither["failed"] is True and "one of the following is required" in neither["msg"]
    alone = run_module(ceph_config.main, monkeypatch, fake, capsys, who="mon", value=1)
    assert alone["failed"] is True and "parameters are required together" in alone["msg"]
    assert fake.calls == []


def test_config_a_setting_ceph_ignores_is_an_error(monkeypatch, capsys):
    class Ignores(FakeCeph):
        def change(self, args):
            return 0, "", ""

    fake = Ignores()
    result = run_module(ceph_config.main, monkeypatch, fake, capsys, settings=SETTINGS[1:2])
    assert result["failed"] is True and "did not apply" in result["msg"]


# ---------------------------------------------------------------- ceph_health
WARN = {
    "status": "HEALTH_WARN",
    "checks": {
        "OSD_DOWN": {
            "severity": "HEALTH_WARN",
            "summary": {"message": "1 osds down"},
            "detail": [{"message": "osd.3 is down"}],
        }
    },
}
OK = {"status": "HEALTH_OK", "checks": {}}


def test_health_waits_until_ok(monkeypatch, capsys):
    fake = FakeCeph(health=[WARN, WARN, OK])
    monkeypatch.setattr(ceph_utils.time, "sleep", lambda s: None)
    result = run_module(ceph_health.main, monkeypatch, fake, capsys, timeout=60, interval=1)
    assert result["changed"] is False and result["health"]["status"] == "HEALTH_OK"
    assert len(fake.calls) == 3


def test_health_timeout_shows_the_detail(monkeypatch, capsys):
    fake = FakeCeph(health=[WARN])
    result = run_module(ceph_health.main, monkeypatch, fake, capsys, timeout=0, interval=1)
    assert result["failed"] is True
    assert "OSD_DOWN: 1 osds down" in result["msg"] and "osd.3 is down" in result["msg"]


def test_health_ignored_checks_do_not_count(monkeypatch, capsys):
    fake = FakeCeph(health=[WARN])
    result = run_module(
        ceph_health.main, monkeypatch, fake, capsys, timeout=0, ignore_checks=["OSD_DOWN"]
    )
    assert result.get("failed") is not True


class FakeClock:
    """time.monotonic and time.sleep for module_utils.ceph.poll: sleeping moves the clock."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_health_settle_waits_until_ok_holds(monkeypatch, capsys):
    # OK at once (the manager's report from before an OSD was marked in), then
    # the peering it did not show yet, then OK for good: the first OK must not end
    # the wait, and the end needs settle seconds of OK in a row.
    clock = FakeClock()
    monkeypatch.setattr(ceph_utils, "time", clock)
    fake = FakeCeph(health=[OK, WARN, OK, OK, OK, OK, OK])
    result = run_module(
        ceph_health.main, monkeypatch, fake, capsys, timeout=60, interval=5, settle=15
    )
    assert result.get("failed") is not True and result["health"]["status"] == "HEALTH_OK"
    # polls at 0 (OK), 5 (WARN), 10, 15, 20, 25 (OK since 10: 15 s in a row)
    assert len(fake.calls) == 6 and result["waited"] == 25


def test_health_settle_fails_when_ok_never_holds(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(ceph_utils, "time", clock)
    fake = FakeCeph(health=[OK, WARN] * 20)
    result = run_module(
        ceph_health.main, monkeypatch, fake, capsys, timeout=30, interval=5, settle=15
    )
    assert result["failed"] is True
    assert "HEALTH_OK for 15s in a row within 45s" in result["msg"]


def test_health_without_settle_the_first_ok_ends_the_wait(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(ceph_utils, "time", clock)
    fake = FakeCeph(health=[OK, WARN])
    result = run_module(ceph_health.main, monkeypatch, fake, capsys, timeout=60, interval=5)
    assert result.get("failed") is not True and len(fake.calls) == 1


def test_key_existing_user_only_its_keyring_file_is_written(monkeypatch, capsys, tmp_path):
    fake = FakeCeph(users={"mds.gs01": {"key": "AQmds==", "caps": {"mon": "allow profile mds"}}})
    dest = tmp_path / "keyring"
    params = dict(name="mds.gs01", caps={"mon": "allow profile mds"}, dest=str(dest), mode="0640")
    result = run_module(ceph_key.main, monkeypatch, fake, capsys, **params)
    assert result["changed"] is True and result["commands"] == [] and result["keyring_changed"]
    assert dest.read_text() == "[mds.gs01]\n\tkey = AQmds==\n"
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o640
    assert fake.changes() == []
    assert run_module(ceph_key.main, monkeypatch, fake, capsys, **params)["changed"] is False
