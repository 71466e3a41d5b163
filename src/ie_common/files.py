"""Files root writes for others to read: replaced at once, never through a link.

Three programs write such a file: the web console's overview (its
snapshot), ie-graphs (the page of graphs) and ie-usage-report (the
teacher's CSV and SVG). The prometheus role installs this module on the
monitoring host beside ie_common/graphs.py, so it uses the standard library
only.
"""

from __future__ import annotations

import contextlib
import os


def replace(path: str, data: bytes, gid: int, uid: int = 0, mode: int = 0o640) -> None:
    """``path`` replaced at once by ``data``, owned by ``uid`` and ``gid``
    (-1 leaves the one it was made with) with ``mode``.

    The folder is opened once, not through a link, and everything after
    works in it: a new file (never an existing one, never a link) is made
    with mode 0600, given its owner and mode, written, synced and renamed
    over the last name of ``path``. When any step fails, the new file is
    removed and ``path`` is as it was. A reader sees the old file or the
    new one, whole."""
    folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        name = os.path.basename(path)
        tmp = f".{name}.{os.getpid()}"
        out = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=folder
        )
        try:
            with os.fdopen(out, "wb") as f:
                os.fchown(f.fileno(), uid, gid)
                os.fchmod(f.fileno(), mode)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
    finally:
        os.close(folder)
