# ie-cluster (ceph_mgr role, ceph_mgr_pyo3_workaround): the packaged
# mgr_util.py is diverted to mgr_util.py.distrib (dpkg-divert), so package
# upgrades and reinstalls update that file and never this one. This runs the
# packaged code as it is, with one difference: its module-level
# `import bcrypt` gets a stand-in that imports the real bcrypt on first use.
#
# Why: ceph-mgr runs each module in its own sub-interpreter, and every one
# imports mgr_util. bcrypt is a PyO3 module, which refuses to load in a
# second sub-interpreter, so all but the first module failed with "PyO3
# modules do not yet support subinterpreters" (Ceph tracker 64213). Only the
# dashboard's password_hash uses bcrypt.
import importlib
import sys
import types

_DISTRIB = __file__ + ".distrib"


class _LazyBcrypt(types.ModuleType):
    """bcrypt, imported in this sub-interpreter when first used."""

    def __getattr__(self, name):
        if name.startswith("__"):  # repr(), pickle and import machinery: not a use
            raise AttributeError(name)
        if sys.modules.get("bcrypt") is self:
            del sys.modules["bcrypt"]
        return getattr(importlib.import_module("bcrypt"), name)


def _run_packaged():
    saved = sys.modules.get("bcrypt")
    if saved is None:
        sys.modules["bcrypt"] = _LazyBcrypt("bcrypt")
    try:
        with open(_DISTRIB, encoding="utf-8") as fh:
            code = compile(fh.read(), _DISTRIB, "exec")
        exec(code, globals())  # noqa: S102 - the package's own file
    finally:
        if saved is None and isinstance(sys.modules.get("bcrypt"), _LazyBcrypt):
            del sys.modules["bcrypt"]


_run_packaged()
