"""Passwords and accounts in the lab's own directory (roles/ldap_server), for
the web console's tests and benchmark: the lab's students have no password
(they log in with `su` from root in the other tests), and the console needs
one. Bound as the directory's admin over ldapi:/// inside the directory's
container, with the admin password from the lab vault (committed, not
secret). Never for production: its directory is the department's.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = "dc=ie,dc=lab"  # ldap_server_domain: ie.lab
VAULT = ROOT / "inventories/lab/group_vars/all/vault.yml"
VAULT_PASSWORD = ROOT / "inventories/lab-vault-password.LAB-ONLY-NOT-SECRET"


def lab_vault() -> dict:
    """The lab vault's values (inventories/lab/group_vars/all/vault.yml)."""
    text = subprocess.run(  # noqa: S603 - the repository's own ansible-vault
        [
            str(ROOT / ".venv/bin/ansible-vault"),
            "view",
            "--vault-password-file",
            str(VAULT_PASSWORD),
            str(VAULT),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return yaml.safe_load(text)


def admin_password() -> str:
    return str(lab_vault()["vault_ldap_admin_password"])


class Directory:
    """The lab directory in container ``ldap`` (ldap01, ie-lab-ldap01)."""

    def __init__(self, ldap: str = "ldap01"):
        self.ldap = ldap
        self._admin = admin_password()

    def _tool(self, command: str, ldif: str = "", check: bool = True):
        feed = f"printf %s {shlex.quote(ldif)} | " if ldif else ""
        script = f"{feed}{command} -H ldapi:/// -x -D cn=admin,{BASE} -w {shlex.quote(self._admin)}"
        done = subprocess.run(  # noqa: S603 - podman exec of a quoted script
            ["podman", "exec", self.ldap, "sh", "-c", script],  # noqa: S607 - podman on PATH
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{command.split()[0]} on {self.ldap}: {done.stderr.strip()}")
        return done

    @staticmethod
    def dn(user: str) -> str:
        return f"uid={user},ou=people,{BASE}"

    def set_password(self, user: str, password: str) -> None:
        self._tool(f"ldappasswd -s {shlex.quote(password)} {self.dn(user)}")

    def drop_password(self, user: str) -> None:
        """Back to the lab's state: no password at all."""
        ldif = f"dn: {self.dn(user)}\nchangetype: modify\ndelete: userPassword\n"
        self._tool("ldapmodify", ldif, check=False)

    def add_account(self, user: str, uid: int, gid: int) -> None:
        """An account in group ``gid`` only (none of the students' or admins')."""
        self.delete_account(user)  # left by a run that stopped
        ldif = (
            f"dn: {self.dn(user)}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
            f"cn: {user}\nsn: {user}\nuidNumber: {uid}\ngidNumber: {gid}\n"
            f"homeDirectory: /home/{user}\nloginShell: /bin/bash\n"
        )
        self._tool("ldapadd", ldif)

    def delete_account(self, user: str) -> None:
        self._tool(f"ldapdelete {self.dn(user)}", check=False)
