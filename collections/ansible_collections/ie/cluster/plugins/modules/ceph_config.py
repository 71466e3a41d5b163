#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ceph_config
short_description: Manage one option in the Ceph monitors' configuration database
description:
  - Sets (C(ceph config set)) or removes (C(ceph config rm)) one option for one
    section, optionally narrowed by a mask such as C(osd/host:st01) or
    C(osd/class:ssd).
  - Compares against C(ceph config dump) in the form Ceph stores values in
    (C(256M) is stored as C(268435456), C(False) as C(false)), using the
    option's type from C(ceph config help); so a second run changes nothing.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.ceph
options:
  who:
    description:
      - The section, optionally with a mask after a slash - C(global), C(mon),
        C(osd.3), C(osd/host:st01), C(client.homes).
    type: str
    required: true
  option:
    description: The option's name, for example C(osd_memory_target).
    type: str
    required: true
  value:
    description: The value; required with O(state=present).
    type: raw
  state:
    description: Whether the option should be set.
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
"""

RETURN = r"""
setting:
  description: The setting after the change (before it in check mode), or null when unset.
  returned: always
  type: dict
  sample: {"section": "osd", "mask": "host:st01", "option": "osd_memory_target", "value": "939524096"}
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


def read_setting(ceph, section, mask, option):
    for row in ceph.read(["config", "dump"]) or []:
        if (
            row.get("section") == section
            and row.get("name") == option
            and row.get("mask", "") == mask
        ):
            return {"section": section, "mask": mask, "option": option, "value": row["value"]}
    return None


def run_module(module):
    params = module.params
    try:
        section, mask = split_who(params["who"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    option = params["option"]
    if params["state"] == "present" and params["value"] is None:
        module.fail_json(msg="value is required when state is present")

    ceph = Ceph(module)
    info = ceph.read(["config", "help", option], missing_ok=True)
    if info is None:
        module.fail_json(msg="Ceph has no option named %r" % option)
    option_type = info.get("type", "str")

    have = read_setting(ceph, section, mask, option)
    want = None
    if params["state"] == "present":
        try:
            value = normalize(params["value"], option_type)
        except ValueError as exc:
            module.fail_json(msg="%s %s" % (option, exc))
        want = {"section": section, "mask": mask, "option": option, "value": value}
        if have is not None and same(have["value"], value, option_type):
            want = have

    if want is None and have is not None:
        ceph.change(["config", "rm", params["who"], option])
    elif want is not None and want != have:
        ceph.change(["config", "set", params["who"], option, want["value"]])

    def read_back():
        found = read_setting(ceph, section, mask, option)
        if found and want and same(found["value"], want["value"], option_type):
            return want
        return found

    ceph.finish("setting", have, want, read_back)


def main():
    module = AnsibleModule(
        argument_spec=ceph_argument_spec(
            who=dict(type="str", required=True),
            option=dict(type="str", required=True),
            value=dict(type="raw"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
