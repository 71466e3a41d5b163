# The test harness's and the lab's connection to their containers: Podman's
# (containers.podman.podman) with pipelining. Without it, each task costs five
# `podman exec` (home, temporary directory, chmod, the module, clean-up);
# with it, one: the module goes to python3 on stdin (`podman exec -i`).
# containers.podman's plugin sets has_pipelining = False because it runs
# `podman exec` without -i, so stdin never reaches the container.
#
# Named podman so that it replaces the short name Molecule's podman driver
# writes into its inventories (ansible_connection: podman); ansible.cfg and
# the Molecule base config put this directory on the connection plugin path.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)

DOCUMENTATION = """
    name: podman
    short_description: Podman containers, with pipelining
    description:
      - containers.podman.podman, with the module sent on stdin (podman exec -i)
        when pipelining is on.
    author: ie-cluster system admin team
    extends_documentation_fragment:
      - connection_pipelining
    options:
      remote_addr:
        description: The container's name or ID.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description: User inside the container.
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description: Extra arguments to pass to the podman command line.
        default: ''
        ini:
          - section: defaults
            key: podman_extra_args
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description: Executable for podman command.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""


class Connection(PodmanConnection):
    transport = "podman"
    has_pipelining = True

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec"]
        if in_data is not None:
            args.append("-i")
        if self.user:
            args.extend(("--user", self.user))
        argv = shlex.split(to_native(cmd, errors="surrogate_or_strict"))
        return self._podman(args, argv, in_data)
