# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install a bundled Python program (ie-podman, ie-virsh) behind sudo.

The program's package is copied into a root-owned virtualenv made without
pip (the programs need only the standard library, or distribution packages
through ``system_site_packages``), started by a launcher that runs Python
in isolated mode (``-I``: no PYTHONPATH, no user site), linked onto PATH,
configured by a root-owned JSON file, and allowed through a sudoers rule
that ``visudo -cf`` has checked before it is put in place. The packages'
message catalogues (``locale/LANG/LC_MESSAGES/*.po``) are compiled with
``msgfmt --check`` as they are installed.

Each part is compared with what is there, so a second run changes nothing;
in check mode nothing is written and ``changed`` tells the truth.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import json
import os
import shutil
import tempfile


def packages_digest(source, packages):
    """sha256 over several packages under ``source`` (each by name)."""
    digest = hashlib.sha256()
    for package in packages:
        digest.update(package.encode("utf-8") + b"\0")
        _walk_into(digest, os.path.join(source, package))
    return digest.hexdigest()


def _walk_into(digest, root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo", ".mo")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            digest.update(rel.encode("utf-8") + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())


def launcher_text(prefix, entry_point):
    module, _sep, func = entry_point.partition(":")
    return (
        "#!%s/bin/python3 -I\n"
        "# Installed by ie.cluster.ie_wrapper; changes are overwritten.\n"
        "import sys\n\n"
        "from %s import %s\n\n"
        "sys.exit(%s())\n"
    ) % (prefix, module, func, func)


def render_config(config):
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def read_text(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def file_mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def atomic_write(path, text, mode):
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ie-wrapper-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        if os.geteuid() == 0:
            os.chown(tmp, 0, 0)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def site_packages(prefix):
    found = sorted(glob.glob(os.path.join(prefix, "lib", "python3*", "site-packages")))
    return found[-1] if found else None


def venv_has_system_site_packages(prefix):
    text = read_text(os.path.join(prefix, "pyvenv.cfg")) or ""
    for line in text.splitlines():
        key, _sep, value = line.partition("=")
        if key.strip() == "include-system-site-packages":
            return value.strip().lower() == "true"
    return False


class WrapperInstaller(object):
    """Reconcile one wrapper; the runners run python3, visudo and msgfmt
    argv lists (visudo and msgfmt: None where the host has none)."""

    def __init__(self, module, python_runner, visudo_runner, msgfmt_runner=None):
        self.module = module
        self.python = python_runner
        self.visudo = visudo_runner
        self.msgfmt = msgfmt_runner
        self.p = module.params
        self.changes = []
        self.diffs = []

    @property
    def stamp_path(self):
        return os.path.join(self.p["prefix"], ".ie-wrapper.json")

    def launcher_path(self):
        return os.path.join(self.p["prefix"], "bin", self.p["name"])

    def _change(self, what, before=None, after=None):
        self.changes.append(what)
        if self.module._diff and (before is not None or after is not None):
            self.diffs.append(
                {
                    "before_header": what,
                    "after_header": what,
                    "before": before or "",
                    "after": after or "",
                }
            )

    def packages(self):
        """The top-level package directories to install: the program's, then the extras."""
        names = [self.p["package"].split(".")[0]]
        names.extend(self.p["extra_packages"] or [])
        return list(dict.fromkeys(names))

    def present(self):
        p = self.p
        self.ensure_venv()
        missing = [n for n in self.packages() if not os.path.isdir(os.path.join(p["source"], n))]
        if not missing:
            self.ensure_package()
        elif self.module.check_mode:
            # On a fresh host in check mode the copy that brings the source
            # has not happened either: the packages would be installed.
            self._change("packages %s (not on the host yet)" % ", ".join(missing))
        else:
            self.module.fail_json(
                msg="source %s holds no package directory %s" % (p["source"], ", ".join(missing))
            )
        self.ensure_file(self.launcher_path(), launcher_text(p["prefix"], p["entry_point"]), 0o755)
        self.ensure_link()
        if p["config"] is not None:
            self.ensure_file(p["config_path"], render_config(p["config"]), int(p["config_mode"], 8))
        if p["sudoers"]:
            self.ensure_sudoers()
        elif p["sudoers"] == "":  # a program students run without sudo keeps no rule
            self.remove_file(p["sudoers_path"])

    def remove_file(self, path):
        if os.path.lexists(path):
            self._change("remove %s" % path, read_text(path), None)
            if not self.module.check_mode:
                os.unlink(path)

    def ensure_venv(self):
        prefix = self.p["prefix"]
        want_system = self.p["system_site_packages"]
        exists = os.path.exists(os.path.join(prefix, "bin", "python3"))
        if exists and venv_has_system_site_packages(prefix) == want_system:
            return
        self._change("virtualenv %s" % prefix)
        args = ["-m", "venv", "--without-pip"]
        if want_system:
            args.append("--system-site-packages")
        if exists:
            args.append("--clear")
        args.append(prefix)
        self.python.run(args, mutating=True)
        if not self.module.check_mode:
            os.chmod(prefix, 0o755)  # noqa: S103 - root-owned program directory, readable by all

    def ensure_package(self):
        p = self.p
        packages = self.packages()
        digest = packages_digest(p["source"], packages)
        if self.module.check_mode and p.get("source_digest"):
            # The copy of the controller's source was only pretended.
            digest = p["source_digest"]
        stamp = read_text(self.stamp_path)
        try:
            installed = json.loads(stamp) if stamp else {}
        except ValueError:
            installed = {}
        want = {"packages": packages, "digest": digest}
        if installed == want:
            return
        self._change(
            "packages %s" % ", ".join(packages),
            render_config(installed) if installed else "",
            render_config(want),
        )
        if self.module.check_mode:
            return
        target_root = site_packages(p["prefix"])
        if target_root is None:
            self.module.fail_json(msg="no site-packages directory under %s" % p["prefix"])
        for top in packages:
            self._install_tree(target_root, top)
        atomic_write(self.stamp_path, render_config(want), 0o644)

    def _install_tree(self, target_root, top):
        target = os.path.join(target_root, top)
        staging = tempfile.mkdtemp(dir=target_root, prefix=".ie-wrapper-")
        try:
            shutil.copytree(
                os.path.join(self.p["source"], top),
                os.path.join(staging, top),
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"),
            )
            self._compile_catalogues(os.path.join(staging, top))
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(os.path.join(staging, top), target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for dirpath, _dirnames, filenames in os.walk(target):
            os.chmod(dirpath, 0o755)  # noqa: S103 - root-owned program code, readable by all
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)

    def _compile_catalogues(self, tree):
        """Each gettext catalogue under ``tree`` compiled to the .mo that
        Python's gettext reads; ``--check`` refuses a translation whose
        fields differ from its message's."""
        for po in sorted(glob.glob(os.path.join(tree, "locale", "*", "LC_MESSAGES", "*.po"))):
            if self.msgfmt is None:
                self.module.fail_json(
                    msg="msgfmt is missing: install the gettext package to compile %s" % po
                )
            self.msgfmt.run(["--check", "--output-file=%s.mo" % po[:-3], po], mutating=True)

    def ensure_file(self, path, text, mode):
        before = read_text(path)
        if before == text and file_mode(path) == mode:
            return
        self._change(path, before, text)
        if not self.module.check_mode:
            atomic_write(path, text, mode)

    def ensure_link(self):
        link, target = self.p["link"], self.launcher_path()
        if os.path.islink(link) and os.readlink(link) == target:
            return
        if os.path.exists(link) and not os.path.islink(link):
            self.module.fail_json(msg="%s exists and is not a link; remove it first" % link)
        self._change("link %s -> %s" % (link, target))
        if not self.module.check_mode:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(target, link)

    def ensure_sudoers(self):
        path, text = self.p["sudoers_path"], self.p["sudoers"]
        if not text.endswith("\n"):
            text += "\n"
        before = read_text(path)
        if before == text and file_mode(path) == 0o440:
            return
        # Check the rule before it can take effect: a broken sudoers file
        # would lock every admin out of sudo.
        if self.visudo is None:
            if not self.module.check_mode:
                self.module.fail_json(msg="visudo was not found: install sudo first")
            # check mode on a host without sudo yet: it would be installed
            self._change(path, before, text)
            return
        fd, tmp = tempfile.mkstemp(prefix=".ie-wrapper-sudoers-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            result = self.visudo.run(["-cf", tmp], check_rc=False)
        finally:
            os.unlink(tmp)
        if not result.ok:
            self.module.fail_json(
                msg="visudo refused the sudoers rule for %s: %s"
                % (self.p["name"], (result.stderr or result.stdout).strip()),
                rule=text,
            )
        self._change(path, before, text)
        if not self.module.check_mode:
            atomic_write(path, text, 0o440)

    def absent(self):
        p = self.p
        for path in (p["link"], p["sudoers_path"], p["config_path"]):
            self.remove_file(path)
        if os.path.exists(p["prefix"]):
            self._change("remove %s" % p["prefix"])
            if not self.module.check_mode:
                shutil.rmtree(p["prefix"])
