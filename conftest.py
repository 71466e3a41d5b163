"""testinfra's podman:// hosts (every Molecule scenario's tests, `make
lab-redteam`) run their commands with tools/harness/nsexec.py: in the
container as podman exec would, without its 100 ms of CPU a command."""

from tools.harness import testinfra_nsenter

testinfra_nsenter.register()
