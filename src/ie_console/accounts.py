"""Who may log in to the console, and how fast they may try.

Membership comes from NSS (SSSD and the directory on the cluster), so a
student added to the directory's students group can log in at once, with no
inventory list and no Ansible run. Failed logins slow down per login name
and per client address (:class:`Throttle`).
"""

from __future__ import annotations

import grp
import os
import pwd
import threading
import time
from typing import NamedTuple


class Account(NamedTuple):
    user: str
    uid: int
    role: str  # "student" or "admin"


def lookup(user: str, students: str, admins: str) -> Account | None:
    """``user``'s account if it is in the admins' or the students' group."""
    try:
        entry = pwd.getpwnam(user)
        names = {grp.getgrgid(g).gr_name for g in os.getgrouplist(user, entry.pw_gid)}
    except (KeyError, OSError):
        return None
    if admins in names:
        return Account(entry.pw_name, entry.pw_uid, "admin")
    if students in names:
        return Account(entry.pw_name, entry.pw_uid, "student")
    return None


class Throttle:
    """After ``free`` failures, each further try of the same key waits twice
    as long as the last (``first`` seconds, at most ``most``); a success or
    ``forget`` seconds without failures clears the key."""

    def __init__(self, free: int = 3, first: float = 2.0, most: float = 300.0, forget=900.0):
        self.free, self.first, self.most, self.forget = free, first, most, forget
        self.keep = 10000
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(key, (0, now))
            if now - last >= self.forget:
                self._failures.pop(key, None)
                return 0.0
            if count < self.free:
                return 0.0
            delay = min(self.first * 2 ** (count - self.free), self.most)
            return max(0.0, last + delay - now)

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.keep:  # made-up names must not fill memory
                self._failures = {
                    k: v for k, v in self._failures.items() if now - v[1] < self.forget
                }
            count, _ = self._failures.get(key, (0, now))
            self._failures[key] = (count + 1, now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
