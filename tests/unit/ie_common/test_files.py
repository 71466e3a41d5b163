"""ie_common.files.replace: how root writes a file for others to read (the
overview's snapshot, ie-graphs' page, ie-usage-report's CSV and SVG)."""

from __future__ import annotations

import os
import stat

import pytest

from ie_common import files


def test_the_file_is_replaced_whole_with_its_owner_group_and_mode(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("old, readable by all\n")
    path.chmod(0o644)
    files.replace(str(path), b"user,cpu_hours\n", os.getgid(), uid=os.getuid())
    info = path.stat()
    assert path.read_bytes() == b"user,cpu_hours\n"
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]  # no temporary left


def test_another_mode_and_a_new_file(tmp_path):
    path = tmp_path / "page.html"
    files.replace(str(path), b"<p>", -1, uid=-1, mode=0o600)
    assert path.read_bytes() == b"<p>" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_link_at_the_path_is_replaced_not_followed(tmp_path):
    target = tmp_path / "target"
    target.write_text("the link's target\n")
    path = tmp_path / "usage.csv"
    path.symlink_to(target)
    files.replace(str(path), b"new\n", os.getgid(), uid=os.getuid())
    assert not path.is_symlink() and path.read_bytes() == b"new\n"
    assert target.read_text() == "the link's target\n"


def test_a_linked_folder_is_refused_and_nothing_is_written(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        files.replace(str(tmp_path / "link" / "x.json"), b"{}", os.getgid(), uid=os.getuid())
    assert list((tmp_path / "real").iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "overview.json"
    path.write_text('{"taken": 1}')

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        files.replace(str(path), b'{"taken": 2}', os.getgid(), uid=os.getuid())
    assert path.read_text() == '{"taken": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["overview.json"]


def test_a_temporary_name_already_taken_is_never_written_through(tmp_path):
    path = tmp_path / "page.html"
    other = tmp_path / "other"
    other.write_text("kept\n")
    (tmp_path / f".page.html.{os.getpid()}").symlink_to(other)
    with pytest.raises(FileExistsError):
        files.replace(str(path), b"x", os.getgid(), uid=os.getuid())
    assert other.read_text() == "kept\n" and not path.exists()
