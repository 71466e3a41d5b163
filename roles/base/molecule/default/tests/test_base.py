"""Behaviour of the base role as an admin on the two hosts would see it."""

# podman exec, straight into the containers: the ansible:// backend costs
# an ansible run per command (about 1 s each; this file's tests took 72 s
# that way, 15 s this way).
testinfra_hosts = ["podman://base-node1", "podman://base-node2"]


def test_cluster_hosts_resolve_to_their_addresses(host):
    assert host.run("getent hosts base-node1.mol.test").stdout.split()[0] == "10.213.1.11"
    assert host.run("getent hosts base-node2").stdout.split()[0] == "10.213.1.12"
    # localhost stays as the distribution wrote it.
    assert host.run("getent hosts localhost").rc == 0


def test_apt_uses_only_the_managed_sources(host):
    sources = host.file("/etc/apt/sources.list.d/ie-cluster.sources")
    assert sources.contains("Suites: trixie trixie-updates")
    assert not host.file("/etc/apt/sources.list").exists
    assert host.run("apt-get -s install hello").rc == 0


def test_extra_suite_is_pinned_below_the_distribution(host):
    extra = host.file("/etc/apt/sources.list.d/ie-extra-backports.sources")
    assert extra.contains("Suites: trixie-backports")
    policy = host.check_output("apt-cache policy")
    # The suite is known to apt, at the pinned priority.
    assert "100 http://deb.debian.org/debian trixie-backports/main" in policy
    # A package found in both suites: the distribution's version by default,
    # the backport only when asked for.
    # (one apt-cache call for every backport: the first with a trixie version)
    lists = "/var/lib/apt/lists/*trixie-backports_main_binary-*_Packages"
    pkg = host.check_output(
        f"apt-cache policy $(sed -n 's/^Package: //p' {lists} | sort -u)"
        " | awk '/^[^ ]/ {{p = $1; sub(/:$/, \"\", p)}} / trixie\\/main / {{print p; exit}}'"
    )
    assert pkg, "no package is in both trixie and trixie-backports"
    default = host.check_output(f"apt-get -s install {pkg} | grep '^Inst {pkg} '")
    assert "Backports" not in default, default
    asked = host.check_output(f"apt-get -s -t trixie-backports install {pkg} | grep '^Inst {pkg} '")
    assert "Backports" in asked, asked


def test_chronyd_runs_without_touching_the_hosts_clock(host):
    assert host.service("chrony").is_running
    assert host.file("/etc/default/chrony").contains('DAEMON_OPTS="-F 1 -x"')


def test_admin_group_has_sudo_and_others_do_not(host):
    assert host.group("ieadmin").gid == 2000
    assert "ieadmin" in host.user("opsadmin").groups
    # The local admin has no password (key-only), so sudo asks for none:
    # Ansible connects as this account and becomes root.
    assert "(ALL : ALL) NOPASSWD: ALL" in host.run("sudo -l -U opsadmin").stdout
    # Any other member of the admin group (a department account) is asked
    # for their password.
    host.run("useradd -M -G ieadmin groupadmin 2>/dev/null")
    group_only = host.run("sudo -l -U groupadmin").stdout
    assert "(ALL : ALL) ALL" in group_only
    assert "NOPASSWD" not in group_only
    host.run("useradd -M nobodyspecial 2>/dev/null")
    assert "not allowed" in host.run("sudo -l -U nobodyspecial").stdout


def test_sshd_effective_settings(host):
    cfg = host.run("sshd -T").stdout.lower().splitlines()
    assert "passwordauthentication no" in cfg
    assert "permitrootlogin without-password" in cfg
    assert "x11forwarding no" in cfg
    assert "allowgroups ieadmin" in cfg
    assert "maxauthtries 4" in cfg
