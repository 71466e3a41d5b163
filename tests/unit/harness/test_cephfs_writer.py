"""tools/harness/cephfs-writer.sh, the client that writes and reads CephFS
while molecule/ceph upgrades and molecule/site reboots the cluster: run here
on a local directory for a second, as those scenarios read its files."""

import os
import subprocess
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "harness" / "cephfs-writer.sh"


def run_for(tmp_path, seconds, prepare=None):
    files = tmp_path / "io"
    log, sums, stop = tmp_path / "io.log", tmp_path / "io.sums", tmp_path / "io.stop"
    files.mkdir()
    if prepare:
        prepare(files)
    proc = subprocess.Popen(["sh", str(SCRIPT), str(files), str(log), str(sums), str(stop)])
    time.sleep(seconds)
    stop.touch()
    assert proc.wait(timeout=30) == 0
    return files, log.read_text().splitlines(), sums


def test_good_rounds_are_summed_and_read_back_elsewhere(tmp_path):
    files, log, sums = run_for(tmp_path, 1.5)
    assert log == ["finished"]
    lines = sums.read_text().splitlines()
    assert len(lines) >= 2
    assert [line.split("  ")[1] for line in lines] == [f"f{i}" for i in range(1, len(lines) + 1)]
    # as the scenarios check: sha256sum -c in the directory, on another host
    done = subprocess.run(["sha256sum", "--quiet", "-c", str(sums)], cwd=files, check=False)
    assert done.returncode == 0


def test_a_failed_write_is_a_line_with_its_file_statuses_and_time(tmp_path):
    # f1 cannot be written: a link into a directory that does not exist
    _, log, sums = run_for(tmp_path, 1.2, lambda d: os.symlink("/nonexistent/x", d / "f1"))
    assert log[-1] == "finished" and len(log) == 2, log
    words = log[0].split()
    assert words[:4] == ["error", "f1:", "write", "status"] and words[5:7] == ["read", "status"]
    assert words[4] not in ("0,", "") and words[7] != "0", log  # both steps failed
    assert words[8] == "at" and time.strptime(words[9], "%H:%M:%S")
    assert not any(line.endswith("  f1") for line in sums.read_text().splitlines())
