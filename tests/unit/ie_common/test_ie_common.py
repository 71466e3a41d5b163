"""What the ie-* programs share: the child with the caller's rights, tables."""

import os
import pwd

import pytest

from ie_common import output, userio
from ie_common.errors import Refused, UsageError
from ie_common.identity import Caller


def me() -> Caller:
    pw = pwd.getpwuid(os.getuid())
    return Caller(
        os.getuid(), pw.pw_gid, pw.pw_name, pw.pw_dir, tuple(os.getgroups()) or (pw.pw_gid,)
    )


def test_a_child_writing_more_than_a_pipe_holds_does_not_block():
    data = userio.output_as_user(me(), lambda out: out.write(b"x" * 3_000_000))
    assert len(data) == 3_000_000


def test_errors_in_the_child_come_back_with_their_class(tmp_path):
    def refuse(out):
        raise Refused("no", "because")

    with pytest.raises(Refused, match="no"):
        userio.output_as_user(me(), refuse)

    def missing(out):
        with open(tmp_path / "absent") as fh:
            fh.read()

    with pytest.raises(UsageError, match="absent"):
        userio.output_as_user(me(), missing)


def test_the_child_really_has_the_callers_uid():
    nobody = pwd.getpwnam("nobody")
    if os.getuid() != 0:
        pytest.skip("dropping to another user needs root (the test machine and CI run as root)")
    caller = Caller(nobody.pw_uid, nobody.pw_gid, "nobody", "/nonexistent", (nobody.pw_gid,))
    out = userio.output_as_user(caller, lambda o: o.write(f"{os.getuid()} {os.getgid()}".encode()))
    assert out.decode() == f"{nobody.pw_uid} {nobody.pw_gid}"
    with pytest.raises(UsageError, match="Permission denied"):
        userio.tar_from_user(caller, "/root", "x", "/")


def test_tables_and_json():
    rows = [{"name": "web", "state": "running"}, {"name": "db", "state": "exited"}]
    assert output.render(rows, ["name", "state"], "table").splitlines() == [
        "NAME  STATE",
        "web   running",
        "db    exited",
    ]
    assert output.render(rows, ["name"], "json").startswith("[\n  {")
