"""Issue 26: no role edits a file a package ships, so a package upgrade or
reinstall undoes nothing. The ceph_mgr role's PyO3 workaround diverts
ceph-mgr's mgr_util.py (dpkg-divert) instead of editing it; a reinstall
puts the package's file beside it and the managers still load every module.

Runs after test_ceph.py (it restarts the managers)."""

from test_ceph import MONS, node

MGR_UTIL = "/usr/share/ceph/mgr/mgr_util.py"


def packaged_md5(host):
    """The md5 dpkg recorded for mgr_util.py when it unpacked ceph-mgr."""
    for line in host.file("/var/lib/dpkg/info/ceph-mgr.md5sums").content_string.splitlines():
        md5, path = line.split(maxsplit=1)
        if "/" + path == MGR_UTIL:
            return md5
    raise AssertionError("ceph-mgr's md5sums do not list mgr_util.py")


def assert_diverted_and_untouched(host):
    assert host.check_output(f"dpkg-divert --listpackage {MGR_UTIL}") == "LOCAL"
    assert host.check_output(f"dpkg-divert --truename {MGR_UTIL}") == MGR_UTIL + ".distrib"
    # the package's file, byte for byte as shipped
    assert host.file(MGR_UTIL + ".distrib").md5sum == packaged_md5(host)
    assert "ceph_mgr_pyo3_workaround" in host.file(MGR_UTIL).content_string
    # dpkg's own check finds no packaged file of ceph-mgr changed
    assert host.run("dpkg --verify ceph-mgr").stdout == ""


def test_the_packaged_file_is_diverted_not_edited():
    for name in MONS:
        assert_diverted_and_untouched(node(name))
