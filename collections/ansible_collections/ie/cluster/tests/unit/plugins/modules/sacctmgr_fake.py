# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake sacctmgr for the unit tests of the slurm_* modules: it keeps QOS and
accounts in dicts and answers show/add/modify/delete as sacctmgr does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class FakeSacctmgr(object):
    """Answers show/add/modify/delete like sacctmgr, from a dict of QOS."""

    def __init__(self, qos=None, accounts=None):
        self.qos = dict(qos or {})
        self.accounts = {
            k: dict(v, users=set(v.get("users", ()))) for k, v in (accounts or {}).items()
        }
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        args = argv[1:]
        if args[:4] == ["--noheader", "--parsable2", "show", "qos"]:
            name = args[4]
            if name in self.qos:
                q = self.qos[name]
                return (
                    0,
                    "%s|%s|%s|%s\n" % (name, q["Priority"], q["MaxWall"], q["Description"]),
                    "",
                )
            return 0, "", ""
        if args[:3] == ["-i", "add", "qos"]:
            self.qos[args[3]] = self._settings(args[4:])
            return 0, " Adding QOS(s)\n", ""
        if args[:3] == ["-i", "modify", "qos"]:
            name = args[4].split("=", 1)[1]
            self.qos[name].update(self._settings(args[6:]))
            return 0, " Modified qos...\n", ""
        if args[:3] == ["-i", "delete", "qos"]:
            del self.qos[args[4].split("=", 1)[1]]
            return 0, " Deleting QOS(s)...\n", ""
        if args[:4] == ["--noheader", "--parsable2", "show", "account"]:
            a = self.accounts.get(args[4])
            return (
                0,
                ("%s|%s|%s\n" % (args[4], a["Description"], a["Organization"]) if a else ""),
                "",
            )
        if args[:4] == ["--noheader", "--parsable2", "show", "association"]:
            a = self.accounts.get(args[5].split("=", 1)[1])
            rows = ["", *sorted(a["users"])] if a else []
            return 0, "".join(r + "\n" for r in rows), ""
        if args[:3] == ["-i", "add", "account"]:
            self.accounts[args[3]] = dict(self._settings(args[4:]), users=set())
            return 0, "", ""
        if args[:3] == ["-i", "modify", "account"]:
            self.accounts[args[4].split("=", 1)[1]].update(self._settings(args[6:]))
            return 0, "", ""
        if args[:3] == ["-i", "delete", "account"]:
            del self.accounts[args[4].split("=", 1)[1]]
            return 0, "", ""
        if args[:3] == ["-i", "add", "user"]:
            self.accounts[args[4].split("=", 1)[1]]["users"].update(args[3].split(","))
            return 0, "", ""
        if args[:3] == ["-i", "delete", "user"]:
            names = args[4].split("=", 1)[1].split(",")
            self.accounts[args[5].split("=", 1)[1]]["users"].difference_update(names)
            return 0, "", ""
        raise AssertionError("unexpected sacctmgr call %r" % (argv,))

    @staticmethod
    def _settings(words):
        out = {}
        for word in words:
            key, value = word.split("=", 1)
            out[key] = "" if value == "-1" else value
        return out


def run_module(main, monkeypatch, fake, capsys, check_mode=False, diff=False, missing=(), **params):
    """Run a module's main() with params against the fake; return its JSON
    result. The tools named in ``missing`` are not on the host."""
    args = dict(params)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    monkeypatch.setattr(
        basic.AnsibleModule, "run_command", lambda mod, argv, **kw: fake(argv, **kw)
    )
    monkeypatch.setattr(
        basic.AnsibleModule,
        "get_bin_path",
        lambda self, name, required=False: None if name in missing else "/usr/bin/" + name,
    )
    with patch_module_args(args), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


def mutating(fake):
    """The calls that change the database."""
    return [c for c in fake.calls if c[1] == "-i"]
