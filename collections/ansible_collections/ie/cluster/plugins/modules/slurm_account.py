#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: slurm_account
short_description: Manage a Slurm account and its users with sacctmgr
description:
  - Creates, updates or deletes one account in Slurm's accounting database and
    the users associated with it.
  - Reads the account and its associations first and changes only what
    differs, so a second run reports no change.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description: Account name (lower case, as sacctmgr stores it).
    type: str
    required: true
  state:
    description: Whether the account should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the account.
    type: str
    default: ""
  organization:
    description: Organization of the account (lower case, as sacctmgr stores it).
    type: str
    default: ""
  users:
    description: Users that belong to the account.
    type: list
    elements: str
    default: []
  users_exclusive:
    description: Remove users of the account that are not in O(users).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the database and reports what would change without running the changing sacctmgr commands.
  diff_mode:
    support: full
    description: Shows the account and its users before and after.
requirements:
  - sacctmgr on the host, with slurmdbd reachable
"""

EXAMPLES = r"""
- name: The students of the operating systems course
  ie.cluster.slurm_account:
    name: os-course
    description: operating systems course
    organization: ie
    users: [student1, student2]
"""

RETURN = r"""
account:
  description: The account and its users after the change (before it in check mode), or null when absent.
  returned: always
  type: dict
commands:
  description: The changing sacctmgr argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.sacctmgr import Sacctmgr

_NAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]*$")
_TEXT = re.compile(r"^[^|=\n]*$")


def run_module(module):
    p = module.params
    for key in ("name", "organization"):
        if p[key] and not _NAME.match(p[key]):
            module.fail_json(
                msg="%s must be lower-case letters, digits, '_', '.', '-', got %r" % (key, p[key])
            )
    bad_users = [u for u in p["users"] if not _NAME.match(u)]
    if bad_users:
        module.fail_json(msg="users must be lower-case login names, got %r" % bad_users)
    if not _TEXT.match(p["description"]):
        module.fail_json(msg="description must not contain '|', '=' or new lines")

    sacct = Sacctmgr(module)
    name = p["name"]

    def read_back():
        account = sacct.show_account(name)
        if account is not None:
            account["users"] = sacct.account_users(name)
        return account

    have = read_back()

    want = None
    if p["state"] == "present":
        users = sorted(set(p["users"]))
        if have is not None and not p["users_exclusive"]:
            users = sorted(set(users) | set(have["users"]))
        want = {
            "name": name,
            "description": p["description"],
            "organization": p["organization"],
            "users": users,
        }

    if want is None:
        if have is not None:
            sacct.delete_account(name)
    else:
        fields = ("description", "organization")
        if have is None:
            sacct.add_account(want)
        elif any(have[f] != want[f] for f in fields):
            sacct.modify_account(want)
        before_users = have["users"] if have else []
        added = [u for u in want["users"] if u not in before_users]
        removed = [u for u in before_users if u not in want["users"]]
        if added:
            sacct.add_users(name, added)
        if removed:
            sacct.remove_users(name, removed)

    sacct.exit("account", have, want, read_back)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            description=dict(type="str", default=""),
            organization=dict(type="str", default=""),
            users=dict(type="list", elements="str", default=[]),
            users_exclusive=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
