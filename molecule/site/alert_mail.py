"""The alert mails the lab's stand-in relay kept (tools/lab/mailrelay.yml).

Run on ldap01 as root (side_effect.yml):

    python3 - seen                      # remember the mails there are now
    python3 - raised NAME[=TEXT] ...    # each alert mailed since, firing
    python3 - resolved NAME ...         # ... and its last mail since: resolved

``raised`` needs, for each alert name, a new mail ``[ie-cluster FIRING] NAME
(N)`` whose text holds TEXT; ``resolved``, a new firing mail followed by
``[ie-cluster RESOLVED] NAME`` as the name's last mail. Exit status 0 when
that is so, 1 when not yet; the new mails are printed either way.
"""

import email
import email.policy
import json
import re
import sys
from pathlib import Path

MAIL = Path("/var/lib/ie-lab-mail")
SEEN = Path("/root/.ie-site-mail-seen")
SUBJECT = re.compile(r"\[ie-cluster (?P<state>FIRING|RESOLVED)\] (?P<name>\w+)(?: \(\d+\))?")


def mails():
    """(file name, state, alert name, text) of each mail, oldest first."""
    found = []
    for path in sorted(MAIL.glob("[nc][eu][wr]/*"), key=lambda p: p.stat().st_mtime_ns):
        with path.open("rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        subject = SUBJECT.fullmatch(str(message["subject"]))
        body = message.get_body(preferencelist=("plain",))
        if subject:
            text = body.get_content() if body else ""
            found.append((path.name, subject["state"], subject["name"], text))
    return found


def main(action, wanted):
    if action == "seen":
        SEEN.write_text("\n".join(name for name, *_ in mails()))
        return 0
    seen = set(SEEN.read_text().split())
    new = [m for m in mails() if m[0] not in seen]
    print(json.dumps([{"state": s, "alert": n, "text": t} for _, s, n, t in new], indent=1))
    for item in wanted:
        name, _, text = item.partition("=")
        states = [(s, t) for _, s, n, t in new if n == name]
        if not any(s == "FIRING" and text in t for s, t in states):
            return 1
        if action == "resolved" and states[-1][0] != "RESOLVED":
            return 1
    return 0


sys.exit(main(sys.argv[1], sys.argv[2:]))
