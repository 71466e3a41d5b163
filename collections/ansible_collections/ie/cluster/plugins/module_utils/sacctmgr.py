# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and changing Slurm's accounting database with sacctmgr.

Everything goes through :class:`CommandRunner` as argv lists; ``-i``
(immediate) makes sacctmgr commit without asking.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ie.cluster.plugins.module_utils.reconcile import finish
from ansible_collections.ie.cluster.plugins.module_utils.runner import CommandRunner
from ansible_collections.ie.cluster.plugins.module_utils.slurm_time import (
    wall_minutes,
    wall_string,
)


class Sacctmgr(object):
    def __init__(self, module):
        self.module = module
        self.runner = CommandRunner(module, "sacctmgr")

    def changing_commands(self):
        """The changing (-i) sacctmgr argv lists run so far, or skipped in check mode."""
        return [r.argv for r in self.runner.history if r.argv[1:2] == ["-i"]]

    def exit(self, key, have, want, read_back):
        """End the module (module_utils/reconcile.py): changed when a changing
        command was issued, read back outside check mode, diff when asked."""
        finish(self.module, key, have, want, self.changing_commands(), read_back, "sacctmgr")

    def _show_row(self, entity, name, fields):
        """The fields of the one ``entity`` row named ``name``, or None."""
        result = self.runner.run(
            ["--noheader", "--parsable2", "show", entity, name, "format=%s" % ",".join(fields)]
        )
        for line in result.stdout.splitlines():
            row = line.split("|")
            if len(row) >= len(fields) and row[0] == name:
                return row
        return None

    def show_qos(self, name):
        """{name, priority, max_wall_minutes, description} or None."""
        row = self._show_row("qos", name, ["Name", "Priority", "MaxWall", "Description"])
        if row is None:
            return None
        return {
            "name": row[0],
            "priority": int(row[1] or 0),
            "max_wall_minutes": wall_minutes(row[2]),
            "description": row[3],
        }

    @staticmethod
    def _settings(want):
        return [
            "Priority=%d" % want["priority"],
            "MaxWall=%s" % wall_string(want["max_wall_minutes"]),
            "Description=%s" % want["description"],
        ]

    def add_qos(self, want):
        return self.runner.run(
            ["-i", "add", "qos", want["name"], *self._settings(want)], mutating=True
        )

    def modify_qos(self, want):
        return self.runner.run(
            [
                "-i",
                "modify",
                "qos",
                "where",
                "name=%s" % want["name"],
                "set",
                *self._settings(want),
            ],
            mutating=True,
        )

    def delete_qos(self, name):
        return self.runner.run(["-i", "delete", "qos", "where", "name=%s" % name], mutating=True)

    # ---- accounts and their users

    def show_account(self, name):
        """{name, description, organization} or None."""
        row = self._show_row("account", name, ["Account", "Descr", "Org"])
        if row is None:
            return None
        return {"name": name, "description": row[1], "organization": row[2]}

    def account_users(self, name):
        """Users with an association to the account, sorted."""
        result = self.runner.run(
            [
                "--noheader",
                "--parsable2",
                "show",
                "association",
                "where",
                "account=%s" % name,
                "format=User",
            ]
        )
        return sorted({u for u in result.stdout.split() if u})

    def add_account(self, want):
        return self.runner.run(
            [
                "-i",
                "add",
                "account",
                want["name"],
                "Description=%s" % want["description"],
                "Organization=%s" % want["organization"],
            ],
            mutating=True,
        )

    def modify_account(self, want):
        return self.runner.run(
            [
                "-i",
                "modify",
                "account",
                "where",
                "name=%s" % want["name"],
                "set",
                "Description=%s" % want["description"],
                "Organization=%s" % want["organization"],
            ],
            mutating=True,
        )

    def delete_account(self, name):
        return self.runner.run(
            ["-i", "delete", "account", "where", "name=%s" % name], mutating=True
        )

    def add_users(self, account, users):
        return self.runner.run(
            ["-i", "add", "user", ",".join(users), "account=%s" % account], mutating=True
        )

    def remove_users(self, account, users):
        return self.runner.run(
            ["-i", "delete", "user", "where", "name=%s" % ",".join(users), "account=%s" % account],
            mutating=True,
        )
