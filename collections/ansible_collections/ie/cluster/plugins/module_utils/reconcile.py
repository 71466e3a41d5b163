# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every ie.cluster module that reconciles one object ends.

A module reads the object (``have``), works out what it should be
(``want``), issues the changing commands through a runner (not run in check
mode), then calls :func:`finish`: changed is true when a changing command was
issued; outside check mode the object is read back and must now be ``want``,
so a tool that silently ignored a command is an error instead of a false
"ok"; the result holds the object, the commands and, in diff mode, before and
after.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def finish(module, key, have, want, commands, read_back, tool, extra=None, also_changed=False):
    """End ``module``; see the module docstring. ``tool`` names the command in
    errors; ``also_changed`` is a change made without the tool (a file written)."""
    changed = bool(commands) or also_changed
    if commands and not module.check_mode:
        after = read_back()
        if after != want:
            module.fail_json(
                msg="%s did not apply the %s as asked" % (tool, key),
                wanted=want,
                found=after,
                commands=commands,
            )
    result = {
        "changed": changed,
        key: want if commands and not module.check_mode else have,
        "commands": commands,
    }
    result.update(extra or {})
    if module._diff:
        result["diff"] = {"before": have or {}, "after": want or {}}
    module.exit_json(**result)
