# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ie.cluster.template: ansible.builtin.template, with one shell command where
the file is already right.

ansible-core's template action renders the template on the controller and
hands the result to the copy action. This is that action itself (a
subclass: the rendering, check mode and --diff are ansible-core's), handing
it to ie.cluster.copy's instead (plugins/action/copy.py says what that
saves). Owner, group and mode are required.
"""

from __future__ import absolute_import, annotations, division, print_function

from ansible.plugins.action.template import ActionModule as BuiltinTemplate
from ansible_collections.ie.cluster.plugins.action.copy import ActionModule as FastCopy
from ansible_collections.ie.cluster.plugins.action.copy import check_arguments

__metaclass__ = type

ALLOWED = frozenset({"src", "dest", "owner", "group", "mode", "validate"})


class _Loaders:
    """The shared loaders, but the copy action the template action asks for
    is ie.cluster.copy's."""

    def __init__(self, shared):
        self._shared = shared
        self.action_loader = _ActionLoader(shared.action_loader)

    def __getattr__(self, name):
        return getattr(self._shared, name)


class _ActionLoader:
    def __init__(self, loader):
        self._loader = loader

    def get(self, name, *args, **kwargs):
        if name != "ansible.legacy.copy":
            return self._loader.get(name, *args, **kwargs)
        copy = FastCopy(*args, **kwargs)
        copy._ie_internal = True
        return copy

    def __getattr__(self, name):
        return getattr(self._loader, name)


class ActionModule(BuiltinTemplate):
    def run(self, tmp=None, task_vars=None):
        check_arguments(self._task.args, ALLOWED, "ie.cluster.template")
        self._shared_loader_obj = _Loaders(self._shared_loader_obj)
        return super().run(tmp, task_vars)
