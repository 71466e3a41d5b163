#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service
short_description: A systemd unit started or stopped, enabled, disabled or masked, with no module run when it already is
description:
  - Asks C(systemctl is-enabled) and C(systemctl is-active) first, in one shell command over the task's
    connection (with its become). When the answers are exactly those the task asks, the task is unchanged
    and no module runs on the host.
  - Otherwise, or with O(daemon_reload=true), M(ansible.builtin.systemd_service) runs with the same
    arguments and does the work; check mode is its own.
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description: The unit, as systemctl names it.
    type: str
    required: true
  state:
    description: V(started) (systemctl's V(active)) or V(stopped) (V(inactive)).
    type: str
    required: true
    choices: [started, stopped]
  enabled:
    description: Whether it starts at boot (systemctl's V(enabled) or V(disabled)).
    type: bool
    required: true
  masked:
    description:
      - V(true) masks the unit (systemctl's V(masked)), so that nothing starts it; only with
        O(state=stopped) and O(enabled=false). V(false) unmasks it.
    type: bool
  daemon_reload:
    description:
      - V(true) has systemd read the unit files again first, and so always runs
        M(ansible.builtin.systemd_service); give it as V(true) only when a unit file was just written
        (C("{{ written is changed }}")).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: As M(ansible.builtin.systemd_service)'s.
  diff_mode:
    support: none
    description: As M(ansible.builtin.systemd_service)'s.
seealso:
  - module: ansible.builtin.systemd_service
  - module: ie.cluster.file
"""

EXAMPLES = r"""
- name: Start chrony, and at boot
  ie.cluster.service:
    name: chrony
    state: started
    enabled: true
"""

RETURN = r"""
changed:
  description: Whether the unit was started, stopped, enabled or disabled.
  returned: always
  type: bool
checked_by_shell:
  description: The unit was found as asked by the one shell command, and no module ran.
  returned: when so
  type: bool
  sample: true
"""
