#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: probe
short_description: Ask the host something with a command that only reads, without starting a module
description:
  - Runs O(argv), each word quoted, as one shell command over the task's connection (with its become and its
    C(environment)), as a re-run's questions to a host (C(ceph mgr module ls), C(systemd-analyze calendar),
    C(getent)) are best asked. M(ansible.builtin.command) would start Python and the module on the host first.
  - It changes nothing, so it is never C(changed) and it runs in check mode as well.
  - It fails, as M(ansible.builtin.command) does, when the program exits non-zero; C(failed_when) and C(until)
    read the same results. Trailing newlines are taken off C(stdout) and C(stderr), as that module does.
  - The words are never read as shell syntax; a read that needs a glob or a pipe names the shell itself
    in O(argv), as C([sh, -c, ...]).
  - A command that changes something, or needs C(chdir), C(stdin) or C(creates), is
    M(ansible.builtin.command)'s; so is a program that may exit with status 255, which Ansible's SSH
    connection takes for a failure of SSH itself.
  - Some data is sent with the command (the program itself reads C(/dev/null)), so that the SSH connection
    does not give it a terminal (C(ssh -tt)); with one, its C(stderr) would come back in its C(stdout).
  - It runs as an action plugin; this file is its documentation.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.1.0
options:
  argv:
    description: The program and its arguments.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    description: It runs in check mode too, since it changes nothing.
  diff_mode:
    support: none
    description: It changes nothing.
"""

EXAMPLES = r"""
- name: Read the enabled manager modules
  ie.cluster.probe:
    argv: [ceph, mgr, module, ls, --format, json]
  register: modules

- name: Wait until slurmctld answers
  ie.cluster.probe:
    argv: [scontrol, ping]
  register: ping
  until: ping.rc == 0 and 'UP' in ping.stdout
  retries: 30
  delay: 2
"""

RETURN = r"""
cmd:
  description: The argv run.
  returned: always
  type: list
  elements: str
rc:
  description: The program's exit status.
  returned: always
  type: int
stdout:
  description: Its standard output, without trailing newlines.
  returned: always
  type: str
stderr:
  description: Its standard error, without trailing newlines.
  returned: always
  type: str
probed_by_shell:
  description: Always true; no module ran on the host.
  returned: always
  type: bool
"""
