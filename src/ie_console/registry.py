"""The console's logged-in sessions, held in the server process.

The browser's cookie carries only a random session id, signed; the agent
and the account stay here. A session ends at logout, after ``idle`` seconds
without a request, or ``lifetime`` seconds after login, whichever comes
first; its agent is closed then, so the console can no longer act for that
student.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from ie_console.accounts import Account


class Entry:
    def __init__(self, account: Account, agent: Any, now: float):
        self.account, self.agent = account, agent
        self.started = self.seen = now


class Sessions:
    def __init__(self, idle: float = 1800.0, lifetime: float = 28800.0):
        self.idle, self.lifetime = idle, lifetime
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def create(self, account: Account, agent: Any, now: float | None = None) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._entries[sid] = Entry(account, agent, time.monotonic() if now is None else now)
        return sid

    def _over(self, entry: Entry, now: float) -> bool:
        return now - entry.seen > self.idle or now - entry.started > self.lifetime

    def get(self, sid: object, now: float | None = None) -> Entry | None:
        """The live session ``sid``, seen now; an expired one is ended."""
        if not isinstance(sid, str):
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                return None
            if self._over(entry, now) or not entry.agent.alive:
                del self._entries[sid]
            else:
                entry.seen = now
                return entry
        entry.agent.close()
        return None

    def end(self, sid: object) -> None:
        with self._lock:
            entry = self._entries.pop(sid, None) if isinstance(sid, str) else None
        if entry is not None:
            entry.agent.close()

    def reap(self, now: float | None = None) -> int:
        """End every expired session; how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            over = [sid for sid, e in self._entries.items() if self._over(e, now)]
            ended = [self._entries.pop(sid) for sid in over]
        for entry in ended:
            entry.agent.close()
        return len(ended)

    def __len__(self) -> int:
        return len(self._entries)
