# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options every ie.cluster ceph_* module shares (module_utils/ceph.py)."""

    DOCUMENTATION = r"""
options:
  cluster:
    description: Name of the Ceph cluster (C(--cluster)); selects C(/etc/ceph/<cluster>.conf).
    type: str
    default: ceph
  auth_name:
    description:
      - The Ceph user the C(ceph) command authenticates as (C(--name)).
        Defaults to the C(ceph) command's own default, C(client.admin).
    type: str
  keyring:
    description: Keyring file holding the key of O(auth_name) (C(--keyring)).
    type: path
  connect_timeout:
    description: Seconds to wait for the monitors (C(--connect-timeout)).
    type: int
    default: 30
requirements:
  - the C(ceph) command line tool (Debian package C(ceph-common)) and a reachable monitor quorum
"""
