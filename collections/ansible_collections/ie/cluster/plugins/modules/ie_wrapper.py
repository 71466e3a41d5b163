#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ie_wrapper
short_description: Install an ie-* wrapper program (ie-podman, ie-virsh) behind sudo
description:
  - Copies a bundled Python package into a root-owned virtualenv made without
    pip, writes a launcher that runs Python in isolated mode (C(-I)), links the
    command onto PATH, writes the program's JSON configuration and the sudoers
    rule that lets users run it.
  - The sudoers rule is checked with C(visudo -cf) before it is installed; a
    rule visudo refuses fails the module and changes nothing.
  - Every part is compared with what is installed (the package by a digest of
    its files), so a second run changes nothing.
  - The packages' gettext catalogues (C(locale/LANG/LC_MESSAGES/*.po)) are
    compiled with C(msgfmt --check) as the packages are installed.
requirements:
  - msgfmt (Debian package C(gettext)) on the host, where the packages have catalogues.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description: The command's name, for example C(ie-podman).
    type: str
    required: true
  package:
    description: The import name of the program's package, for example C(ie_podman).
    type: str
    required: true
  extra_packages:
    description:
      - Further top-level packages the program imports (for example C(ie_common)),
        installed beside it from O(source).
    type: list
    elements: str
    default: []
  source:
    description:
      - Directory on the managed host that holds the package directory
        (C(SOURCE/PACKAGE/__init__.py)).
      - Required with O(state=present).
    type: path
  source_digest:
    description:
      - The digest the controller computed of the source it copies to O(source)
        (P(ie.cluster.packages_digest#lookup)).
      - In check mode the copy has not happened, so the packages are compared
        as if O(source) held this source; a different source on the host then
        reports the packages as changed, as the real run will.
    type: str
  entry_point:
    description: C(module:function) the launcher calls; its return value is the exit status.
    type: str
  prefix:
    description: The virtualenv; defaults to C(/opt/ie/NAME).
    type: path
  link:
    description: The command on PATH; defaults to C(/usr/local/bin/NAME).
    type: path
  system_site_packages:
    description: Let the virtualenv see distribution packages (python3-libvirt for ie-virsh).
    type: bool
    default: false
  config:
    description: The program's configuration, written as JSON to O(config_path).
    type: dict
  config_path:
    description: Where the configuration goes; defaults to C(/etc/ie/NAME.json).
    type: path
  config_mode:
    description: The configuration file's mode (owner root).
    type: str
    default: "0644"
  sudoers:
    description:
      - The sudoers rule(s) letting users run the command, checked with C(visudo -cf).
      - An empty string means none, and removes a rule left at O(sudoers_path)
        (a program students run without sudo, such as the web console's agent).
    type: str
  sudoers_path:
    description: Defaults to C(/etc/sudoers.d/NAME) with C(-) and C(.) made C(_).
    type: path
  state:
    description: Whether the wrapper is installed.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Compares every part and reports what would change; the sudoers rule is still checked with visudo.
  diff_mode:
    support: full
    description: Shows the configuration, the sudoers rule and the package digest before and after.
"""

EXAMPLES = r"""
- name: Install ie-podman for the students group
  ie.cluster.ie_wrapper:
    name: ie-podman
    package: ie_podman
    extra_packages: [ie_common]
    source: /opt/ie/src
    config:
      network: ie-dept
      subnet: 10.0.0.0/16
    config_mode: "0644"
    sudoers: "%students ALL=(root) NOPASSWD: /usr/local/bin/ie-podman\n"
"""

RETURN = r"""
changes:
  description: What changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["virtualenv /opt/ie/ie-podman", "package ie_podman"]
digest:
  description: The sha256 digest of the packages' source files.
  returned: when state is present and the source is on the host
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ie.cluster.plugins.module_utils.runner import CommandRunner
from ansible_collections.ie.cluster.plugins.module_utils.wrapper import (
    WrapperInstaller,
    packages_digest,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            package=dict(type="str", required=True),
            extra_packages=dict(type="list", elements="str", default=[]),
            source=dict(type="path"),
            source_digest=dict(type="str"),
            entry_point=dict(type="str"),
            prefix=dict(type="path"),
            link=dict(type="path"),
            system_site_packages=dict(type="bool", default=False),
            config=dict(type="dict"),
            config_path=dict(type="path"),
            config_mode=dict(type="str", default="0644"),
            sudoers=dict(type="str"),
            sudoers_path=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["source"])],
        supports_check_mode=True,
    )
    p = module.params
    name = p["name"]
    p["prefix"] = p["prefix"] or "/opt/ie/%s" % name
    p["link"] = p["link"] or "/usr/local/bin/%s" % name
    p["config_path"] = p["config_path"] or "/etc/ie/%s.json" % name
    p["sudoers_path"] = p["sudoers_path"] or "/etc/sudoers.d/%s" % name.replace("-", "_").replace(
        ".", "_"
    )
    p["entry_point"] = p["entry_point"] or "%s.cli:main" % p["package"]
    if ":" not in p["entry_point"]:
        module.fail_json(msg="entry_point must be module:function, got %r" % p["entry_point"])
    try:
        int(p["config_mode"], 8)
    except ValueError:
        module.fail_json(msg="config_mode must be an octal mode such as 0644")

    python = CommandRunner(module, "python3")
    visudo = None
    if p["sudoers"] is not None and module.get_bin_path("visudo") is not None:
        visudo = CommandRunner(module, "visudo")
    msgfmt = CommandRunner(module, "msgfmt") if module.get_bin_path("msgfmt") else None
    installer = WrapperInstaller(module, python, visudo, msgfmt)
    result = {}
    if p["state"] == "present":
        installer.present()
        packages = installer.packages()
        if all(os.path.isdir(os.path.join(p["source"], n)) for n in packages):
            result["digest"] = packages_digest(p["source"], packages)
    else:
        installer.absent()
    result["changed"] = bool(installer.changes)
    result["changes"] = installer.changes
    if module._diff:
        result["diff"] = installer.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
