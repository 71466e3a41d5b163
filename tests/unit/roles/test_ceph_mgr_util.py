"""The ceph_mgr role's mgr_util.py: runs the diverted packaged file as it is,
with its module-level `import bcrypt` deferred to the first use.

A stand-in bcrypt package records when it is imported, as the real one
(a PyO3 module) would fail in every ceph-mgr sub-interpreter."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROLE_FILE = Path(__file__).resolve().parents[3] / "roles/ceph_mgr/files/mgr_util.py"

PACKAGED = textwrap.dedent(
    """\
    import os
    import bcrypt

    HERE = __file__

    def password_hash(password, salt_password=None):
        return bcrypt.hashpw(password.encode("utf8"), bcrypt.gensalt()).decode("utf8")

    def to_pretty_timedelta(n):
        return f"{n}s"
    """
)

FAKE_BCRYPT = textwrap.dedent(
    """\
    import os
    with open(os.environ["BCRYPT_LOG"], "a") as log:
        log.write("imported\\n")

    def gensalt():
        return b"$2b$12$salt"

    def hashpw(password, salt):
        return salt + b"." + password
    """
)


def run(tmp_path: Path, code: str) -> tuple[str, list[str]]:
    mgr = tmp_path / "mgr"
    mgr.mkdir()
    shutil.copy(ROLE_FILE, mgr / "mgr_util.py")
    (mgr / "mgr_util.py.distrib").write_text(PACKAGED)
    site = tmp_path / "site" / "bcrypt"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(FAKE_BCRYPT)
    log = tmp_path / "bcrypt.log"
    log.touch()
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": f"{mgr}:{tmp_path / 'site'}", "BCRYPT_LOG": str(log)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout, log.read_text().split()


def test_importing_it_does_not_import_bcrypt(tmp_path):
    out, log = run(
        tmp_path,
        "import sys, mgr_util; print(mgr_util.to_pretty_timedelta(3), 'bcrypt' in sys.modules,"
        " repr(mgr_util.bcrypt).startswith('<module'))",
    )
    assert out.split() == ["3s", "False", "True"]
    assert log == []


def test_the_packaged_code_runs_with_its_own_file_name(tmp_path):
    out, _log = run(tmp_path, "import mgr_util, os; print(os.path.basename(mgr_util.HERE))")
    # (__file__ is the module's, beside the diverted file it reads)
    assert out.strip() == "mgr_util.py"


def test_bcrypt_is_imported_once_on_first_use(tmp_path):
    out, log = run(
        tmp_path,
        "import mgr_util; print(mgr_util.password_hash('pw')); print(mgr_util.password_hash('x'))",
    )
    assert out.split() == ["$2b$12$salt.pw", "$2b$12$salt.x"]
    assert log == ["imported"]


def test_a_bcrypt_already_imported_is_used_as_it_is(tmp_path):
    out, log = run(
        tmp_path,
        "import bcrypt, mgr_util; print(mgr_util.bcrypt is bcrypt)",
    )
    assert out.strip() == "True"
    assert log == ["imported"]
