"""Mark the site's backups stale, and unmark them (side_effect.yml).

Run on the backup server as root: ``python3 - mark`` appends to rsnapshot's
log one run of the smallest level, completed without error, that copied
every source 27 hours ago, as if nothing had run since; ``python3 - unmark``
takes exactly those lines out again (anything rsnapshot logged meanwhile is
kept). ie-backup-status then reads a last good copy 27 hours old, which
the IeBackupStale alert (26 hours) reports.
"""

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

CONFIG = Path("/etc/rsnapshot.conf")
SAVED = Path("/root/.ie-site-stale-backup.json")


def fields(line):
    return line.split("\t") if "\t" in line else line.split()


def settings():
    lines = [fields(line) for line in CONFIG.read_text().splitlines() if line.strip()]
    log = next(f[1] for f in lines if f[0] == "logfile")
    level = next(f[1] for f in lines if f[0] in ("retain", "interval"))
    return Path(log), level, [f[1] for f in lines if f[0] == "backup"]


def mark():
    log, level, sources = settings()
    when = (datetime.now() - timedelta(hours=27)).strftime("%Y-%m-%dT%H:%M:%S")
    block = [f"[{when}] /usr/bin/rsnapshot {level}: started"]
    block += [f"[{when}] /usr/bin/rsync -a --delete {src} /stand-in/" for src in sources]
    block.append(f"[{when}] /usr/bin/rsnapshot {level}: completed successfully")
    text = "\n".join(block) + "\n"
    SAVED.write_text(json.dumps({"log": str(log), "block": text, "existed": log.exists()}))
    with log.open("a") as f:
        f.write(text)


def unmark():
    saved = json.loads(SAVED.read_text())
    log = Path(saved["log"])
    rest = log.read_text().replace(saved["block"], "", 1)
    if rest or saved["existed"]:
        log.write_text(rest)
    else:
        log.unlink()
    SAVED.unlink()


{"mark": mark, "unmark": unmark}[sys.argv[1]]()
# the metrics at once, not at the collector's next run
subprocess.run(["systemctl", "start", "ie-backup-metrics.service"], check=True)
