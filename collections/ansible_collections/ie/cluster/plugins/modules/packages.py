#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: packages
short_description: Install Debian packages by name, asking dpkg first
description:
  - Installs packages as M(ansible.builtin.apt) with O(ansible.builtin.apt#module:state=present)
    does, and refreshes the package lists when they are older than O(cache_valid_time).
  - It first reads dpkg's status of the packages and the lists' age with one shell command
    over the task's connection. When every package is installed and the lists are fresh
    enough, it returns unchanged without starting M(ansible.builtin.apt), which opens the
    whole package cache (about a second of CPU per host and task, on every re-run).
    Otherwise it runs M(ansible.builtin.apt) with the same arguments, which does the work.
  - A package whose dpkg status is not installed and sound (half-configured, removed with
    its configuration left, unknown, or virtual) is left to M(ansible.builtin.apt).
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description:
      - Package names, nothing else; a version, release, architecture or file is for
        M(ansible.builtin.apt).
    type: list
    elements: str
    default: []
  install_recommends:
    description: As M(ansible.builtin.apt)'s, for the packages it installs.
    type: bool
  default_release:
    description: As M(ansible.builtin.apt)'s, for the packages it installs.
    type: str
  update_cache:
    description: Refresh the package lists first unless they are younger than O(cache_valid_time).
    type: bool
    default: false
  cache_valid_time:
    description:
      - Seconds the lists stay fresh, read from the same files as M(ansible.builtin.apt)
        (C(/var/lib/apt/periodic/update-success-stamp), else C(/var/lib/apt/lists)).
      - V(0) refreshes them on every run.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: As M(ansible.builtin.apt)'s; the reading is the same in check mode.
  diff_mode:
    support: full
    description: As M(ansible.builtin.apt)'s.
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install slurmd and the client commands
  ie.cluster.packages:
    name: [slurmd, slurm-client]
    install_recommends: false

- name: Refresh the package lists when they are older than an hour
  ie.cluster.packages:
    update_cache: true
    cache_valid_time: 3600
"""

RETURN = r"""
installed:
  description: The packages, when dpkg had them all and M(ansible.builtin.apt) was not run.
  returned: when nothing was to do
  type: list
  elements: str
cache_updated:
  description: Whether the lists were refreshed.
  returned: always
  type: bool
cache_update_time:
  description: The lists' time (seconds since the epoch), as M(ansible.builtin.apt) returns it.
  returned: always
  type: int
"""
