"""One audit line per action: a JSON line in the audit log and syslog (authpriv)."""

from __future__ import annotations

import json
import os
import syslog
import time
from pathlib import Path

from ie_common.identity import Caller


def record(
    path: str,
    caller: Caller,
    command: str,
    target: str,
    outcome: str,
    detail: str = "",
    program: str = "ie-podman",
) -> None:
    line = json.dumps(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "uid": caller.uid,
            "user": caller.name,
            "command": command,
            "target": target,
            "outcome": outcome,
            "detail": detail[:4000],
        },
        sort_keys=True,
    )
    try:
        log = Path(path)
        log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError:
        pass  # syslog below still has it
    syslog.openlog(program, 0, syslog.LOG_AUTHPRIV)
    syslog.syslog(syslog.LOG_INFO, line)
