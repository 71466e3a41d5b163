#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: template
short_description: Write a Jinja2 template to the host as ansible.builtin.template does, with no module run when it is already right
description:
  - The action of M(ansible.builtin.template) itself, which renders the template on the controller, handing
    the result to M(ie.cluster.copy)'s action instead of M(ansible.builtin.copy)'s, so that a file already
    right is checked with one shell command and no module.
  - O(owner), O(group) and O(mode) are required.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
extends_documentation_fragment:
  - ie.cluster.files
options:
  src:
    description: As M(ansible.builtin.template)'s, a template of the role's C(templates).
    type: path
    required: true
seealso:
  - module: ansible.builtin.template
  - module: ie.cluster.copy
"""

EXAMPLES = r"""
- name: Write sssd.conf (root only; it holds the bind password)
  ie.cluster.template:
    src: sssd.conf.j2
    dest: /etc/sssd/sssd.conf
    owner: root
    group: root
    mode: "0600"
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
