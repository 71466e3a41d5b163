"""testinfra's Podman backend with the commands run by nsexec.py, podman
exec where nsexec cannot (a non-root user, a container that is not
privileged or not running). Registered for podman:// by the repository's
conftest.py."""

from __future__ import annotations

from typing import Any

from testinfra import backend
from testinfra.backend import base
from testinfra.backend.podman import PodmanBackend

from tools.harness import nsexec


class NsenterPodmanBackend(PodmanBackend):
    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        if self.user is None:
            cmd = self.encode(self.get_command(command, *args))
            proc = nsexec.run(self.name, [b"/bin/sh", b"-c", cmd])
            if proc is not None:
                stdout, stderr = proc.communicate()
                return self.result(proc.returncode, cmd, stdout, stderr)
        return super().run(command, *args, **kwargs)


def register() -> None:
    backend.BACKENDS["podman"] = f"{__name__}.{NsenterPodmanBackend.__name__}"
