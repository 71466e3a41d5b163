"""The console as gunicorn serves it: ``gunicorn 'ie_console.wsgi:load()'``.

Its configuration is a JSON file (``IE_CONSOLE_CONFIG``, by default
``/etc/ie/ie-console.json``) with the app's settings; the session key is
read from ``secret_key_file`` (root-owned, readable by the console's
account only), never from the JSON file itself. The agents live in the
server process, so gunicorn must run one worker (with threads).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ie_console.app import create_app

KEYS = {
    "students_group": "IE_CONSOLE_STUDENTS_GROUP",
    "admins_group": "IE_CONSOLE_ADMINS_GROUP",
    "idle_seconds": "IE_CONSOLE_IDLE",
    "lifetime_seconds": "IE_CONSOLE_LIFETIME",
}


def settings(path: str) -> dict:
    given = json.loads(Path(path).read_text())
    unknown = set(given) - set(KEYS) - {"secret_key_file"}
    if unknown:
        raise ValueError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    config = {KEYS[k]: v for k, v in given.items() if k in KEYS}
    key = Path(given["secret_key_file"]).read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{given['secret_key_file']}: the key must be at least 32 characters")
    config["SECRET_KEY"] = key
    return config


def load():
    return create_app(settings(os.environ.get("IE_CONSOLE_CONFIG", "/etc/ie/ie-console.json")))
