# The test harness's and the lab's connection to their containers: Podman's
# (containers.podman.podman) with pipelining. Without it, each task costs five
# `podman exec` (home, temporary directory, chmod, the module, clean-up);
# with it, one: the module goes to python3 on stdin (`podman exec -i`).
# containers.podman's plugin sets has_pipelining = False because it runs
# `podman exec` without -i, so stdin never reaches the container.
#
# And the commands and files go in with tools/harness/nsexec.py: nsenter
# into the container's namespaces, cgroups and environment, as podman exec
# would, without its 100 ms of CPU a task (and no `podman mount` on each
# connection); podman exec and podman cp where nsexec cannot (a remote
# user, a container that is not privileged or not running).
#
# Named podman so that it replaces the short name Molecule's podman driver
# writes into its inventories (ansible_connection: podman); ansible.cfg and
# the Molecule base config put this directory on the connection plugin path.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
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


def _load_nsexec():
    path = Path(__file__).resolve().parents[1] / "nsexec.py"
    spec = importlib.util.spec_from_file_location("ie_harness_nsexec", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


nsexec = _load_nsexec()


class Connection(PodmanConnection):
    transport = "podman"
    has_pipelining = True

    def _connect(self):
        # No `podman mount`: files go through nsexec, or podman cp.
        ConnectionBase._connect(self)
        self._connected = True

    def _nsexec(self, argv, stdin=subprocess.DEVNULL):
        if self.user and self.user != "root":
            return None
        return nsexec.run(
            self._container_id, argv, stdin=stdin, podman=self.get_option("podman_executable")
        )

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        argv = shlex.split(to_native(cmd, errors="surrogate_or_strict"))
        proc = self._nsexec(argv, subprocess.PIPE if in_data is not None else subprocess.DEVNULL)
        if proc is not None:
            stdout, stderr = proc.communicate(in_data)
            return proc.returncode, stdout, stderr
        args = ["exec"]
        if in_data is not None:
            args.append("-i")
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, argv, in_data)

    def put_file(self, in_path, out_path):
        ConnectionBase.put_file(self, in_path, out_path)
        with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as source:
            proc = self._nsexec(["/bin/sh", "-c", 'cat > "$0"', out_path], stdin=source)
            if proc is None:
                return super().put_file(in_path, out_path)
            _, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError(f"could not write {out_path} in {self._container_id}: {stderr!r}")
        return None

    def fetch_file(self, in_path, out_path):
        ConnectionBase.fetch_file(self, in_path, out_path)
        proc = self._nsexec(["cat", "--", in_path])
        if proc is None:
            return super().fetch_file(in_path, out_path)
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError(f"could not read {in_path} in {self._container_id}: {stderr!r}")
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as target:
            target.write(stdout)
        return None
