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

# ie-backup-status's own reading of rsnapshot.conf (the rsnapshot role installs it)
sys.path.insert(0, "/usr/local/lib/ie-cluster")
from ie_backup_status import parse_config

CONFIG = Path("/etc/rsnapshot.conf")
SAVED = Path("/root/.ie-site-stale-backup.json")


def mark():
    config = parse_config(CONFIG.read_text())
    log, level = Path(config.logfile), config.smallest_level
    when = (datetime.now() - timedelta(hours=27)).strftime("%Y-%m-%dT%H:%M:%S")
    block = [f"[{when}] /usr/bin/rsnapshot {level}: started"]
    block += [f"[{when}] /usr/bin/rsync -a --delete {s.src} /stand-in/" for s in config.sources]
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
