#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: file
short_description: A directory, a file's owner and mode, or a path removed, with no module run when nothing is to change
description:
  - Reads the path first with one shell command over the task's connection (with its become) - its type,
    and for a directory or a regular file its mode, owner and group. When that is what the task asks
    already, the task is unchanged and no module runs on the host.
  - Otherwise M(ansible.builtin.file) runs with the same arguments and does the work; check mode and diff
    are its own. A symbolic link at the path is always left to it.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  path:
    description: The full path on the host.
    type: path
    required: true
  state:
    description:
      - V(directory) makes the directory (and its parents) with the owner, group and mode.
      - V(file) sets an existing regular file's owner, group and mode.
      - V(absent) removes the path, recursively for a directory.
    type: str
    required: true
    choices: [directory, file, absent]
  owner:
    description: The owner, a name or a number. Required unless O(state=absent), and not taken then.
    type: str
  group:
    description: The group, a name or a number. Required unless O(state=absent), and not taken then.
    type: str
  mode:
    description:
      - The mode, an octal string such as V("0750"). Required unless O(state=absent), and not taken then.
      - Another form is left to M(ansible.builtin.file).
    type: raw
attributes:
  check_mode:
    support: full
    description: As M(ansible.builtin.file)'s.
  diff_mode:
    support: full
    description: As M(ansible.builtin.file)'s.
seealso:
  - module: ansible.builtin.file
  - module: ie.cluster.copy
"""

EXAMPLES = r"""
- name: The textfile collector's folder
  ie.cluster.file:
    path: /var/lib/prometheus/node-exporter
    state: directory
    owner: root
    group: prometheus
    mode: "0750"

- name: No generated copy beside the refreshed one
  ie.cluster.file:
    path: /etc/cdi/nvidia.yaml
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the path, its owner, group or mode changed.
  returned: always
  type: bool
checked_by_shell:
  description: The path was found as asked by the one shell command, and no module ran.
  returned: when so
  type: bool
  sample: true
"""
