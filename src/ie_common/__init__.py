"""What the ie-* wrappers (ie-podman, ie-virsh) share.

:mod:`identity` (the caller, only from sudo), :mod:`naming` (the user part
of every name, escaped so no two users meet), :mod:`userio` (files read and
written with the caller's own privileges), :mod:`audit` (one line per
action) and :mod:`errors` (messages with documented exit statuses).
"""
