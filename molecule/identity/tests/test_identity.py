"""Department accounts through SSSD against the lab's real slapd: the same
IDs on every client, logins where the access rules allow them, homes on
first login, sudo for admins only, and LDAP only over verified TLS."""

import testinfra

testinfra_hosts = ["podman://id-gs01"]
GS01 = testinfra.get_host("podman://id-gs01")
ST01 = testinfra.get_host("podman://id-st01")
LDAP = testinfra.get_host("podman://id-ldap01")
BIND = "-D cn=sssd,ou=services,dc=ie,dc=lab -w molecule-not-a-secret-bind"


def test_the_same_ids_on_both_clients():
    for user, uid, gid in (("student1", 3101, 3000), ("admin1", 3201, 3001)):
        entries = {h.check_output(f"getent passwd {user}") for h in (GS01, ST01)}
        assert len(entries) == 1
        fields = entries.pop().split(":")
        assert fields[2:4] == [str(uid), str(gid)] and fields[5] == f"/home/{user}"
    for host in (GS01, ST01):
        assert set(host.check_output("id -Gn admin1").split()) == {"staff", "ieadmin"}
        assert host.check_output("getent group students").split(":")[2] == "3000"


def test_no_enumeration_and_no_root_from_the_directory():
    # enumerate = false: `getent passwd` lists local accounts only
    assert "student1" not in GS01.check_output("getent passwd")
    assert GS01.check_output("getent passwd root").startswith("root:x:0:0:")


def test_a_student_logs_in_and_lands_in_a_new_owner_only_home():
    GS01.run("rm -rf /home/student1")
    result = GS01.run("su - student1 -c 'pwd; id -un; stat -c %U:%a .'")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["/home/student1", "student1", "student1:700"]


def test_access_rules_say_who_may_log_in_where():
    # students: general servers only; the staff member in no login group: nowhere
    assert GS01.run("sssctl user-checks -a acct student1").rc == 0
    for host, user in ((ST01, "student1"), (GS01, "visitor"), (ST01, "visitor")):
        check = host.run(f"sssctl user-checks -a acct {user}")
        assert "Permission denied" in check.stdout + check.stderr, (user, check.stdout)
        assert host.run(f"su - {user} -c true").rc != 0
    # admins everywhere
    assert ST01.run("su - admin1 -c true").rc == 0


def test_password_login_through_pam():
    ok = GS01.run("echo student1-molecule-pw | sssctl user-checks -a auth student1")
    assert "pam_authenticate for user [student1]: Success" in ok.stdout + ok.stderr
    bad = GS01.run("echo wrong-password | sssctl user-checks -a auth student1")
    assert "Success" not in bad.stdout.split("pam_authenticate")[-1]


def test_admins_get_sudo_students_do_not():
    assert "(ALL" in GS01.check_output("sudo -l -U admin1")
    student = GS01.run("sudo -l -U student1")
    assert "(ALL" not in student.stdout and "not allowed" in student.stdout


def test_the_directory_speaks_only_verified_tls():
    # the client's LDAP tools trust the lab CA (ldap.conf) and StartTLS works
    assert GS01.check_output(f"ldapwhoami -x -ZZ -H ldap://id-ldap01 {BIND}").startswith(
        "dn:cn=sssd"
    )
    # without TLS a simple bind is refused by the server
    plain = GS01.run(f"ldapwhoami -x -H ldap://id-ldap01 {BIND}")
    assert plain.rc != 0 and "Confidentiality required" in plain.stderr
    # a client without the CA does not trust the server
    untrusted = GS01.run(f"LDAPTLS_CACERT=/dev/null ldapwhoami -x -ZZ -H ldap://id-ldap01 {BIND}")
    assert untrusted.rc != 0
    # anonymous readers see nothing
    anon = GS01.run("ldapsearch -x -ZZ -H ldap://id-ldap01 -b dc=ie,dc=lab uid=student1 uid")
    assert "uid: student1" not in anon.stdout


def test_secrets_are_root_only():
    for host in (GS01, ST01):
        conf = host.file("/etc/sssd/sssd.conf")
        # root:root 0640 is what sssd.service sets at each start
        assert conf.mode == 0o640 and (conf.user, conf.group) == ("root", "root")
        assert host.run("runuser -u student1 -- cat /etc/sssd/sssd.conf").rc != 0
    key = LDAP.file("/etc/ldap/tls/slapd.key")
    assert key.mode == 0o640 and key.group == "openldap"
    assert LDAP.file("/etc/ldap/tls/ca.key").mode == 0o600


def test_ssh_login_with_a_key_where_the_access_rules_allow_it():
    # The same key is authorised on both hosts, so a refusal on the storage
    # server comes from the access rules (sshd's PAM account phase), not keys.
    GS01.run("su - student1 -c true")  # the home exists after a first login
    GS01.check_output(
        "runuser -u student1 -- sh -c 'rm -rf ~/.ssh && mkdir -m 700 ~/.ssh"
        ' && ssh-keygen -q -t ed25519 -N "" -f ~/.ssh/id_ed25519'
        " && cp ~/.ssh/id_ed25519.pub ~/.ssh/authorized_keys'"
    )
    pub = GS01.check_output("cat /home/student1/.ssh/id_ed25519.pub")
    ST01.check_output(
        "install -d -m 700 -o student1 -g students /home/student1/.ssh"
        f" && echo '{pub}' > /home/student1/.ssh/authorized_keys"
        " && chown student1:students /home/student1/.ssh/authorized_keys"
    )
    ssh = "runuser -u student1 -- ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
    assert GS01.check_output(f"{ssh} student1@10.213.7.11 'id -un; pwd'").split() == [
        "student1",
        "/home/student1",
    ]
    refused = GS01.run(f"{ssh} student1@10.213.7.21 true")
    assert refused.rc == 255, refused.stdout + refused.stderr
    # passwords are not accepted over SSH (keys only, base_sshd_password_authentication)
    methods = GS01.run(f"{ssh} -o PreferredAuthentications=password student1@10.213.7.11 true")
    assert methods.rc == 255 and "Permission denied (publickey)" in methods.stderr


def test_extra_sssd_keys_are_added_once_and_sssd_takes_them():
    for host in (GS01, ST01):
        lines = host.file("/etc/sssd/sssd.conf").content_string.splitlines()
        domain = lines[lines.index("[domain/department]") :]
        nss = lines[lines.index("[nss]") : lines.index("[pam]")]
        assert domain.count("ldap_network_timeout = 4") == 1
        assert nss.count("memcache_timeout = 600") == 1
        assert sum(line.startswith("ldap_uri") for line in lines) == 1
        check = host.run("sssctl config-check")
        assert check.rc == 0, check.stdout + check.stderr
        assert "Issues identified by validators: 0" in check.stdout


def test_sssd_runs_the_responders_and_no_unit_fails():
    # after the logins and lookups above: the socket units are masked, so a
    # lookup cannot start them and fail them (services = nss, pam in sssd.conf)
    for host in (GS01, ST01):
        for socket in ("sssd-nss.socket", "sssd-pam.socket"):
            assert host.run(f"systemctl is-enabled {socket}").stdout.strip() == "masked"
        failed = host.check_output("systemctl list-units --failed --plain --no-legend")
        assert "sssd" not in failed, failed
