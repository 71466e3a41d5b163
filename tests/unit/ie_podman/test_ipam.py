"""Department addresses: first free, under a lock, given back."""

import ipaddress
import json

import pytest

from ie_common.errors import NoAddress, SetupError
from ie_podman import config, ipam


def ip(text):
    return int(ipaddress.ip_address(text))


def test_first_free_skips_taken_network_and_broadcast():
    assert ipam.first_free("10.1.0.0/30", ip("10.1.0.0"), ip("10.1.0.3"), set()) == "10.1.0.1"
    assert ipam.first_free("10.1.0.0/30", ip("10.1.0.0"), ip("10.1.0.3"), {"10.1.0.1"}) == (
        "10.1.0.2"
    )


def test_pool_exhausted_says_what_to_do():
    with pytest.raises(NoAddress) as err:
        ipam.first_free("10.1.0.0/30", ip("10.1.0.1"), ip("10.1.0.2"), {"10.1.0.1", "10.1.0.2"})
    assert "ie-podman rm" in err.value.hint


def test_wider_than_a_slash_24():
    taken = {str(ipaddress.ip_address(ip("10.2.0.1") + i)) for i in range(300)}
    got = ipam.first_free("10.2.0.0/16", ip("10.2.0.1"), ip("10.2.255.254"), taken)
    assert got == "10.2.1.45"


def test_leases_round_trip_and_release(tmp_path):
    store = ipam.LeaseStore(tmp_path / "state")
    with store.locked() as leases:
        leases["10.0.0.5"] = {"container": "alice_web", "uid": 1001}
        leases["10.0.0.6"] = {"container": "bob_db", "uid": 1002}
    assert json.loads((tmp_path / "state" / "leases.json").read_text())["10.0.0.5"]["uid"] == 1001
    with store.locked() as leases:
        assert ipam.release(leases, "alice_web") == ["10.0.0.5"]
    assert set(store.snapshot()) == {"10.0.0.6"}
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


def test_an_error_inside_the_lock_keeps_the_old_leases(tmp_path):
    store = ipam.LeaseStore(tmp_path)
    with store.locked() as leases:
        leases["10.0.0.5"] = {"container": "a_x"}
    with pytest.raises(RuntimeError), store.locked() as leases:
        leases.clear()
        raise RuntimeError("podman failed")
    assert set(store.snapshot()) == {"10.0.0.5"}


def test_a_damaged_leases_file_is_reported(tmp_path):
    (tmp_path / "leases.json").write_text("{not json")
    with pytest.raises(SetupError):
        ipam.LeaseStore(tmp_path).snapshot()


def test_config_checks_the_pool():
    cfg = config.from_dict(
        {"subnet": "10.5.0.0/22", "pool_start": "10.5.1.0", "pool_end": "10.5.3.254"}
    )
    assert cfg.pool_bounds() == (ip("10.5.1.0"), ip("10.5.3.254"))
    with pytest.raises(SetupError):
        config.from_dict(
            {"subnet": "10.5.0.0/24", "pool_start": "10.5.0.10", "pool_end": "10.6.0.1"}
        )
    with pytest.raises(SetupError):
        config.from_dict({"made_up": 1})
    with pytest.raises(SetupError):
        config.from_dict({"quota": {"containers": -1}})
    cfg = config.from_dict({"user_quotas": {"alice": {"containers": 3, "images": 1}}})
    assert cfg.quota_for("alice").containers == 3
    assert cfg.quota_for("bob").containers == config.Quota().containers


def test_config_file_must_belong_to_root(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{}")
    path.chmod(0o666)
    with pytest.raises(SetupError):
        config.load(path)


@pytest.mark.parametrize(
    "raw", [{"gpu": "false"}, {"reclaim_after": "7"}, {"min_uid": True}, {"network": 5}]
)
def test_config_types_are_checked(raw):
    with pytest.raises(SetupError) as err:
        config.from_dict(raw)
    assert next(iter(raw)) in err.value.message
