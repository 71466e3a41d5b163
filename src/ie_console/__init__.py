"""The students' web console (issue 28), its first parts.

The console runs as an unprivileged account and never as root. It acts for a
student only through an :mod:`agent` that runs as that student, started at
login by ``su`` with the student's own password (:mod:`session`): so the
console can act only for students who have logged in, only while their
session lasts, and only as they could at a shell, through the same
``ie-podman``, ``ie-virsh`` and Slurm commands.

:mod:`frames` is the wire format between the two: length-prefixed JSON
messages over a Unix socket, with file descriptors passed beside them.
"""
