# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container templates' names and image references (issue 27).

Shared by the preflight's check of slurm_templates (plugin_utils) and the
container_template module on the nodes, so that what the preflight lets
through is what the module accepts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Both are matched whole (fullmatch).
# A template's name: a job option value and a directory name, never a path
# and never a student's image (those are USER/IMAGE).
TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# An image reference (the Distribution spec's grammar, sha256 digests only):
# [HOST[:PORT]/]PATH[:TAG][@sha256:HEX].
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REFERENCE = re.compile(
    r"(?:(?P<host>[A-Za-z0-9.-]+(?::[0-9]+)?)/)?(?P<path>%s(?:/%s)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
    % (_COMPONENT, _COMPONENT)
)


def parse_reference(image):
    """``(host, path, tag, digest)`` of an image reference, None for each
    part it leaves out; None if it is not one. Docker's rule: a first
    component without a dot or a port, other than localhost, is a path, not
    a host."""
    match = REFERENCE.fullmatch(image)
    if not match:
        return None
    host, path = match.group("host"), match.group("path")
    if host is not None and "." not in host and ":" not in host and host != "localhost":
        host, path = None, "%s/%s" % (host, path)
    return host, path, match.group("tag"), match.group("digest")
