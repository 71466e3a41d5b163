#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: copy
short_description: Copy a file to the host as ansible.builtin.copy does, with no module run when it is already right
description:
  - The action of M(ansible.builtin.copy) itself, with two of its steps answered by one shell command
    over the task's connection (with its become). The checksum, owner, group and mode of a regular file
    are read with C(stat) and C(sha1sum) instead of the C(stat) module, and when the checksum matches
    and the owner, group and mode are those asked, the C(file) module is not run.
  - A file that must change, a link, a directory or a missing file is left to M(ansible.builtin.copy)'s
    action, which does the work; check mode and diff are its own.
  - O(owner), O(group) and O(mode) are required.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.files
options:
  src:
    description: As M(ansible.builtin.copy)'s, a file of the role's C(files) (a directory is not for this module).
    type: path
  content:
    description: As M(ansible.builtin.copy)'s.
    type: str
  force:
    description: As M(ansible.builtin.copy)'s.
    type: bool
    default: true
seealso:
  - module: ansible.builtin.copy
  - module: ie.cluster.template
"""

EXAMPLES = r"""
- name: Write the exporter's options
  ie.cluster.copy:
    content: "ARGS=--web.listen-address=10.0.0.11:9100\n"
    dest: /etc/default/prometheus-node-exporter
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
changed:
  description: Whether the file or its owner, group or mode changed.
  returned: always
  type: bool
checked_by_shell:
  description: The file was found right by the one shell command, and no module ran.
  returned: when so
  type: bool
  sample: true
"""
