#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_config
short_description: Manage options in the Ceph monitors' configuration database
description:
  - Sets (C(ceph config set)) or removes (C(ceph config rm)) one option for one
    section, optionally narrowed by a mask such as C(osd/host:st01) or
    C(osd/class:ssd); or, with O(settings), a list of them in one call.
  - Compares against C(ceph config dump) in the form Ceph stores values in
    (C(256M) is stored as C(268435456), C(False) as C(false)), using the
    option's type from C(ceph config help); so a second run changes nothing.
  - With O(settings), C(ceph config dump) is read once for the whole list, and
    C(ceph config help) is asked only for an option whose value is not
    already stored exactly as given (or that is to be removed and is not set);
    a list already in place costs one C(ceph) command.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  who:
    description:
      - The section, optionally with a mask after a slash - C(global), C(mon),
        C(osd.3), C(osd/host:st01), C(client.homes).
      - Required unless O(settings) is given.
    type: str
  option:
    description:
      - The option's name, for example C(osd_memory_target).
      - Required with O(who).
    type: str
  value:
    description: The value; required with O(state=present).
    type: raw
  state:
    description: Whether the option should be set (for O(who) and O(option)).
    type: str
    choices: [present, absent]
    default: present
  settings:
    description:
      - Many settings at once, each as O(who), O(option), O(value) and
        O(state) above. Not together with O(who), O(option) or O(value).
      - The same O(who) and O(option) may not appear twice.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      who:
        description: As O(who).
        type: str
        required: true
      option:
        description: As O(option).
        type: str
        required: true
      value:
        description: As O(value).
        type: raw
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
attributes:
  check_mode:
    support: full
    description: Reads the configuration database and reports what would change.
  diff_mode:
    support: full
    description: Shows the value before and after.
"""

EXAMPLES = r"""
- name: Smaller OSD memory target on the first storage server only
  ie.cluster.ceph_config:
    who: osd/host:st01
    option: osd_memory_target
    value: 939524096

- name: Refuse clients that reclaim a global_id insecurely
  ie.cluster.ceph_config:
    who: mon
    option: auth_allow_insecure_global_id_reclaim
    value: false

- name: The cluster's settings, in one call
  ie.cluster.ceph_config:
    settings:
      - {who: global, option: osd_pool_default_size, value: 2}
      - {who: mds, option: mds_cache_memory_limit, value: 128M}
      - {who: mon, option: mon_data_avail_warn, state: absent}
"""

RETURN = r"""
setting:
  description:
    - The setting after the change (before it in check mode), or null when unset.
    - Returned with O(who) and O(option).
  returned: when O(settings) is not given
  type: dict
  sample: {"section": "osd", "mask": "host:st01", "option": "osd_memory_target", "value": "939524096"}
settings:
  description: Each of O(settings) as RV(setting) is, in the same order.
  returned: when O(settings) is given
  type: list
  elements: dict
commands:
  description: The changing ceph argv lists that were run (or would be, in check mode).
  returned: always
  type: list
  elements: list
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.ceph import Ceph, ceph_argument_spec

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
IEC = "KMGTPE"


def split_who(who):
    """``osd/host:st01`` -> (``osd``, ``host:st01``); ``mon`` -> (``mon``, ``""``)."""
    section, mask = who.partition("/")[::2]
    if not section or (mask and ":" not in mask) or " " in who:
        raise ValueError("who must be SECTION or SECTION/KIND:VALUE (osd/host:st01), got %r" % who)
    return section, mask


def normalize(value, option_type):
    """``value`` written as ``ceph config dump`` shows values of ``option_type``."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value).strip()
    if option_type == "bool":
        if text.lower() in TRUE:
            return "true"
        if text.lower() in FALSE:
            return "false"
        raise ValueError("expects a boolean, got %r" % text)
    if option_type == "size":
        match = re.match(r"^(\d+)([KMGTPE])?$", text)
        if match:
            power = IEC.index(match.group(2)) + 1 if match.group(2) else 0
            return str(int(match.group(1)) * 1024**power)
        return text
    if option_type in ("int", "uint") and re.match(r"^-?\d+$", text):
        return str(int(text))
    return text


def same(have, want, option_type):
    if option_type in ("float", "double"):
        try:
            return float(have) == float(want)
        except ValueError:
            return have == want
    return have == want


def find(dump, section, mask, option):
    """The setting in ``dump`` (rows of ``ceph config dump``), or None."""
    for row in dump:
        if (
            row.get("section") == section
            and row.get("name") == option
            and row.get("mask", "") == mask
        ):
            return {"section": section, "mask": mask, "option": option, "value": row["value"]}
    return None


class Settings(object):
    """The settings asked for, against one reading of the configuration database."""

    def __init__(self, module, ceph, items):
        self.module = module
        self.ceph = ceph
        self.items = []
        self.types = {}
        seen = set()
        for item in items:
            try:
                section, mask = split_who(item["who"])
            except ValueError as exc:
                module.fail_json(msg=str(exc))
            if item["state"] == "present" and item["value"] is None:
                module.fail_json(
                    msg="value is required when state is present (%s)" % item["option"]
                )
            key = (section, mask, item["option"])
            if key in seen:
                module.fail_json(msg="%s %s is given twice" % (item["who"], item["option"]))
            seen.add(key)
            self.items.append((item, section, mask))

    def dump(self):
        return self.ceph.read(["config", "dump"]) or []

    def option_type(self, option):
        """The option's type from ``ceph config help``; fails for an unknown option."""
        if option not in self.types:
            info = self.ceph.read(["config", "help", option], missing_ok=True)
            if info is None:
                self.module.fail_json(msg="Ceph has no option named %r" % option)
            self.types[option] = info.get("type", "str")
        return self.types[option]

    def plan(self):
        """``(have, want)`` lists. Every setting is compared before the first
        changing command is issued, so bad input changes nothing."""
        dump = self.dump()
        haves, wants = [], []
        for item, section, mask in self.items:
            have = find(dump, section, mask, item["option"])
            haves.append(have)
            wants.append(self.wanted(item, section, mask, have))
        for index, (item, _section, _mask) in enumerate(self.items):
            have, want = haves[index], wants[index]
            if want is None and have is not None:
                self.ceph.change(["config", "rm", item["who"], item["option"]])
            elif want is not None and want != have:
                self.ceph.change(["config", "set", item["who"], item["option"], want["value"]])
        return haves, wants

    def wanted(self, item, section, mask, have):
        """The setting ``item`` asks for (``have`` when Ceph holds it already), or None."""
        option = item["option"]
        if item["state"] == "absent":
            if have is None:
                self.option_type(option)  # an unknown option is an error, not "ok"
            return None
        # A value stored exactly as given needs no type to compare.
        if have is not None and have["value"] == normalize(item["value"], "str"):
            return have
        option_type = self.option_type(option)
        try:
            value = normalize(item["value"], option_type)
        except ValueError as exc:
            self.module.fail_json(msg="%s %s" % (option, exc))
        if have is not None and same(have["value"], value, option_type):
            return have
        return dict(section=section, mask=mask, option=option, value=value)

    def read_back(self, wants):
        dump = self.dump()
        found = []
        for index, (item, section, mask) in enumerate(self.items):
            setting, want = find(dump, section, mask, item["option"]), wants[index]
            option_type = self.types.get(item["option"], "str")
            if setting and want and same(setting["value"], want["value"], option_type):
                setting = want
            found.append(setting)
        return found


def run_module(module):
    params = module.params
    if params["settings"] is None:
        items = [dict((name, params[name]) for name in ("who", "option", "value", "state"))]
    else:
        items = params["settings"]
    ceph = Ceph(module)
    settings = Settings(module, ceph, items)
    haves, wants = settings.plan()
    if params["settings"] is None:
        ceph.finish("setting", haves[0], wants[0], lambda: settings.read_back(wants)[0])
    else:
        ceph.finish("settings", haves, wants, lambda: settings.read_back(wants))


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            who=dict(type="str"),
            option=dict(type="str"),
            value=dict(type="raw"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            settings=dict(
                type="list",
                elements="dict",
                options=dict(
                    who=dict(type="str", required=True),
                    option=dict(type="str", required=True),
                    value=dict(type="raw"),
                    state=dict(type="str", choices=["present", "absent"], default="present"),
                ),
            ),
        ),
        required_one_of=[["who", "settings"]],
        required_together=[["who", "option"]],
        mutually_exclusive=[["settings", "who"], ["settings", "option"], ["settings", "value"]],
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
