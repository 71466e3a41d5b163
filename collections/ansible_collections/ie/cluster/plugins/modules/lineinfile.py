#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lineinfile
short_description: One line of a file, found by a regular expression, with no module run when nothing is to change
description:
  - Reads the file first with one shell command over the task's connection (with its become) - its mode,
    owner and group and its content - and decides on the controller as M(ansible.builtin.lineinfile) would.
  - For O(state=present), the file is left as it is when the last line O(regexp) matches (else the last line
    equal to O(line)) is O(line) already, with its line end, and the owner, group and mode given are the file's.
    For O(state=absent), when no line matches O(regexp), or there is no file. No module runs on the host then.
  - Otherwise M(ansible.builtin.lineinfile) runs with the same arguments and does the work; check mode and diff
    are its own. A symbolic link at the path is always left to it.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  path:
    description: The file on the host.
    type: path
    required: true
  regexp:
    description: The Python regular expression that finds the line, searched in each line with its end.
    type: str
    required: true
  line:
    description: The line the last match becomes, or that is added. Required for O(state=present); not taken for O(state=absent).
    type: str
  state:
    description: V(present) puts O(line) in the file; V(absent) removes every line O(regexp) matches.
    type: str
    default: present
    choices: [present, absent]
  create:
    description: Create the file when it is missing (O(state=present) only).
    type: bool
    default: false
  insertafter:
    description: Only V(EOF) (where a line not found is added, as by default). Not taken for O(state=absent).
    type: str
    choices: [EOF]
  owner:
    description: The file's owner, a name or a number. Not taken for O(state=absent).
    type: str
  group:
    description: The file's group, a name or a number. Not taken for O(state=absent).
    type: str
  mode:
    description:
      - The file's mode, an octal string such as V("0644"). Not taken for O(state=absent).
      - Another form is left to M(ansible.builtin.lineinfile).
    type: raw
attributes:
  check_mode:
    support: full
    description: As M(ansible.builtin.lineinfile)'s.
  diff_mode:
    support: full
    description: As M(ansible.builtin.lineinfile)'s.
seealso:
  - module: ansible.builtin.lineinfile
  - module: ie.cluster.file
"""

EXAMPLES = r"""
- name: New local accounts get no automatic subordinate range
  ie.cluster.lineinfile:
    path: /etc/login.defs
    regexp: '^#?\s*SUB_UID_COUNT\s'
    line: SUB_UID_COUNT 0

- name: No key line of a point that is gone
  ie.cluster.lineinfile:
    path: /root/.ssh/authorized_keys
    regexp: '\sie-backup-old@backup01$'
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the file changed.
  returned: always
  type: bool
found:
  description: The number of lines removed (O(state=absent)).
  returned: when O(state=absent)
  type: int
checked_by_shell:
  description: The file was found as asked by the one shell command, and no module ran.
  returned: when so
  type: bool
  sample: true
"""
