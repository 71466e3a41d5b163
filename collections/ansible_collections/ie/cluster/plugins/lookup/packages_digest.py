# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: packages_digest
author: ie-cluster system admin team (@ie-cluster)
short_description: The digest of Python packages on the controller, as ie_wrapper computes it on a host
description:
  - Returns the sha256 that M(ie.cluster.ie_wrapper) returns as RV(ie.cluster.ie_wrapper#module:digest)
    for the same packages, over the same files (byte-code and C(__pycache__) left out).
  - The ie_program role compares the two to skip copying the source when the
    host already holds this very source.
options:
  _terms:
    description: The directory that holds the package directories.
    required: true
    type: list
    elements: path
  packages:
    description: The package directories' names, in the order ie_wrapper is given them.
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Digest of ie_podman's source on the controller
  ansible.builtin.debug:
    msg: "{{ lookup('ie.cluster.packages_digest', '/src/programs', packages=['ie_podman', 'ie_common']) }}"
"""

RETURN = r"""
_raw:
  description: One sha256 hex digest per directory given.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.ie.cluster.plugins.module_utils.wrapper import packages_digest


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        packages = kwargs.get("packages")
        if not isinstance(packages, list) or not packages:
            raise AnsibleLookupError("packages must be a list of package directory names")
        out = []
        for root in terms:
            missing = [p for p in packages if not os.path.isdir(os.path.join(root, p))]
            if missing:
                raise AnsibleLookupError(
                    "%s holds no package directory %s" % (root, ", ".join(missing))
                )
            out.append(packages_digest(root, packages))
        return out
