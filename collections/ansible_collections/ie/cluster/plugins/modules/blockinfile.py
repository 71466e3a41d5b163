#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: blockinfile
short_description: A block of lines between two markers, with no module run when nothing is to change
description:
  - Reads the file first with one shell command over the task's connection (with its become) - its mode,
    owner and group and its content - and makes M(ansible.builtin.blockinfile)'s own edit of that content on
    the controller - the last begin and end markers found and the lines between them replaced by the block, or
    the block added at the end, or taken out.
  - When the edit gives back the same content and the owner, group and mode given are the file's, the file is
    left as it is and no module runs on the host. For O(state=absent), no file is left as it is too.
  - Otherwise M(ansible.builtin.blockinfile) runs with the same arguments and does the work; check mode and diff
    are its own. A symbolic link at the path is always left to it.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  path:
    description: The file on the host. It is not created.
    type: path
    required: true
  block:
    description: The lines between the markers. Required for O(state=present); an empty block takes the block out.
    type: str
  marker:
    description: The marker line, with V({mark}) where V(BEGIN) and V(END) go.
    type: str
    default: "# {mark} ANSIBLE MANAGED BLOCK"
  state:
    description: V(present) puts the block in the file; V(absent) takes it out.
    type: str
    default: present
    choices: [present, absent]
  owner:
    description: The file's owner, a name or a number.
    type: str
    required: true
  group:
    description: The file's group, a name or a number.
    type: str
    required: true
  mode:
    description:
      - The file's mode, an octal string such as V("0644").
      - Another form is left to M(ansible.builtin.blockinfile).
    type: raw
    required: true
  unsafe_writes:
    description: Given to M(ansible.builtin.blockinfile) as it is, for a file that cannot be replaced by a rename.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: As M(ansible.builtin.blockinfile)'s.
  diff_mode:
    support: full
    description: As M(ansible.builtin.blockinfile)'s.
seealso:
  - module: ansible.builtin.blockinfile
  - module: ie.cluster.lineinfile
"""

EXAMPLES = r"""
- name: The cluster's hosts in /etc/hosts
  ie.cluster.blockinfile:
    path: /etc/hosts
    marker: "# {mark} ie-cluster hosts"
    block: |
      10.0.0.11 gs01
      10.0.0.12 gs02
    owner: root
    group: root
    mode: "0644"
    unsafe_writes: true
"""

RETURN = r"""
changed:
  description: Whether the file changed.
  returned: always
  type: bool
checked_by_shell:
  description: The file was found as asked by the one shell command, and no module ran.
  returned: when so
  type: bool
  sample: true
"""
