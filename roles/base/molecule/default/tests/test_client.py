"""What base-node2, a client of the cluster's time server and the admin's
workstation in this scenario, sees."""

import time

testinfra_hosts = ["podman://base-node2"]  # podman exec (see test_base.py)


def test_client_follows_the_cluster_time_server(host):
    # chronyc sources marks the selected source with '*' once it is usable.
    out = ""
    for _ in range(30):
        out = host.run("chronyc -n sources").stdout
        if "^* 10.213.1.11" in out:
            break
        time.sleep(2)
    assert "^* 10.213.1.11" in out, out


def test_admin_logs_in_with_key_and_password_login_is_refused(host):
    opts = "-o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=5"
    ok = host.run(f"ssh {opts} -i /root/.ssh/opsadmin_ed25519 opsadmin@base-node1 id -gn")
    assert ok.rc == 0, ok.stderr
    assert ok.stdout.strip() == "opsadmin"
    # and becomes root with sudo, asked for no password (how Ansible works)
    root = host.run(f"ssh {opts} -i /root/.ssh/opsadmin_ed25519 opsadmin@base-node1 sudo -n id -u")
    assert root.rc == 0, root.stderr
    assert root.stdout.strip() == "0"
    # Without the key only a password could do, and the server offers none.
    refused = host.run(
        "ssh -o BatchMode=yes -o PubkeyAuthentication=no -o PreferredAuthentications=password "
        "-o StrictHostKeyChecking=accept-new opsadmin@base-node1 true"
    )
    assert refused.rc != 0
    assert "Permission denied (publickey)" in refused.stderr
