"""What the ie-* programs share: the child with the caller's rights, tables."""

import os
import pwd
from pathlib import Path

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
    with (
        pytest.raises(UsageError, match="Permission denied"),
        userio.tar_from_user(caller, "/root", "x", "/") as stream,
    ):
        stream.read()


def test_a_large_sparse_file_streams_through_root_in_bounded_memory(tmp_path):
    """Class 7 of issue 21: 512 MiB (sparse) through root, whose memory stays small."""
    import io
    import resource

    big = tmp_path / "src" / "sparse.img"
    big.parent.mkdir()
    with open(big, "wb") as fh:
        fh.truncate(512 * 2**20)
    dest = tmp_path / "dest"
    dest.mkdir()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with userio.tar_from_user(me(), "src", "src", str(tmp_path)) as stream:
        capped = userio.Capped(stream, 600 * 2**20, "the test copy")
        userio.extract_safely(io.BufferedReader(capped, userio.CHUNK), str(dest))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert (dest / "src" / "sparse.img").stat().st_size == 512 * 2**20
    assert grown_kib < 32 * 1024, f"root's process grew by {grown_kib} KiB"


def test_a_stream_over_its_cap_is_refused_and_the_child_stopped(tmp_path):
    import io

    (tmp_path / "f").write_bytes(b"x" * 3_000_000)
    with (
        pytest.raises(Refused, match="larger than"),
        userio.tar_from_user(me(), "f", "f", str(tmp_path)) as stream,
    ):
        io.BufferedReader(userio.Capped(stream, 2**20, "f")).read()


def test_extraction_refuses_paths_leaving_the_destination(tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        evil = tarfile.TarInfo("../escaped")
        evil.size = 1
        tar.addfile(evil, io.BytesIO(b"x"))
    buf.seek(0)
    (tmp_path / "d").mkdir()
    with pytest.raises(tarfile.TarError):
        userio.extract_safely(buf, str(tmp_path / "d"))
    assert not (tmp_path / "escaped").exists()


def test_tables_and_json():
    rows = [{"name": "web", "state": "running"}, {"name": "db", "state": "exited"}]
    assert output.render(rows, ["name", "state"], "table").splitlines() == [
        "NAME  STATE",
        "web   running",
        "db    exited",
    ]
    assert output.render(rows, ["name"], "json").startswith("[\n  {")


def test_a_program_run_as_the_caller_cannot_write_past_its_file_cap(tmp_path):
    """Class 7 of issue 21: ``ie-podman sif`` caps the SIF apptainer writes."""
    out = tmp_path / "big"
    result = userio.run_as_user(
        me(),
        ["/bin/sh", "-c", f"head -c 3000000 /dev/zero > {out}"],
        cwd=str(tmp_path),
        max_file_bytes=2**20,
    )
    assert result.returncode != 0
    assert out.stat().st_size <= 2**20
    ok = userio.run_as_user(me(), ["/bin/sh", "-c", f"head -c 1000 /dev/zero > {out}"])
    assert ok.returncode == 0 and out.stat().st_size == 1000


def test_tarfile_is_loaded_by_the_unpacker_not_on_import_nor_in_the_child():
    """ie-podman's every command imports userio, so tarfile is not loaded
    with it; the copy out's unpacker loads it where it is made (as root), so
    that the child which runs it as the student never imports anything."""
    import subprocess
    import sys

    code = (
        "import sys; from ie_common import userio; before = 'tarfile' in sys.modules;"
        " userio.unpacker('/nonexistent'); print(before, 'tarfile' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src")},
    )
    assert done.stdout.split() == ["False", "True"]
