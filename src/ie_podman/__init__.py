"""ie-podman: rootful Podman shared safely by many students.

The program runs as root through sudo. Who the caller is comes only from
sudo (``SUDO_UID``); every object it touches carries an owner label and a
name in the caller's namespace, and both are checked on every command.
Modules: :mod:`naming` (collision-free names), :mod:`policy` (the option
allow-list), :mod:`ipam` (department addresses under a lock),
:mod:`backend` (Podman, argv lists only), :mod:`userio` (files read and
written with the caller's own privileges), :mod:`cli` (the commands).
"""

__version__ = "1.0.0"
