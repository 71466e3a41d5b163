"""The CephFS write benchmark's arithmetic and the dd it runs."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import cephfs_write


def test_rate_is_mebibytes_per_second():
    assert cephfs_write.rate_mib_s(256 * 1024 * 1024, 2.0) == 128.0
    with pytest.raises(ValueError):
        cephfs_write.rate_mib_s(1, 0)


def test_dd_syncs_before_it_returns_and_quotes_the_path():
    cmd = cephfs_write.dd_command("/home/a b/x.bin", 64)
    assert "conv=fdatasync" in cmd and "count=64" in cmd and "bs=4194304" in cmd
    assert "'/home/a b/x.bin'" in cmd


def test_runs_locally_and_prints_both_rates_and_the_ratio(tmp_path, capsys):
    cephfs, local = tmp_path / "cephfs", tmp_path / "local"
    assert (
        cephfs_write.main(
            ["--cephfs", str(cephfs), "--local", str(local), "--size-mib", "4", "--repeat", "1"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "CephFS" in out and "local" in out and "ratio CephFS/local" in out
    assert list(cephfs.iterdir()) == [] and list(local.iterdir()) == []
