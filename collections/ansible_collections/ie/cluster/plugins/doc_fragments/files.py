# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The file options ie.cluster.copy and ie.cluster.template share (plugins/action/copy.py)."""

    DOCUMENTATION = r"""
options:
  dest:
    description: The file's full path on the host.
    type: path
    required: true
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
      - The file's mode, an octal string such as V("0640").
      - Another form is left to the C(file) module.
    type: raw
    required: true
  validate:
    description: As the builtin module's, run on the new file before it replaces the old one.
    type: str
attributes:
  check_mode:
    support: full
    description: As the builtin module's.
  diff_mode:
    support: full
    description: As the builtin module's.
"""
