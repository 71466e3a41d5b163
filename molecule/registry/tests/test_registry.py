"""The registry as its users see it: push from one client, pull on another,
search, refusals, deletes and garbage collection. Real docker-registry over
TLS, real Podman inside the client containers."""

import json
import shlex

import testinfra

testinfra_hosts = ["podman://reg-gs01"]
REGISTRY = "reg-registry01:5000"
URL = f"https://{REGISTRY}/v2"
USER, PASSWORD = "ie-podman", "molecule-not-a-secret-1"
BLOBS = "/var/lib/docker-registry/docker/registry/v2/blobs/sha256"


def node(name):
    return testinfra.get_host(f"podman://{name}")


REG = node("reg-registry01")
GS02 = node("reg-gs02")


def curl_status(host, path, *args):
    # System trust (the registry_client role): no -k anywhere.
    return host.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' {' '.join(args)} {URL}{path}"
    )


def api(host, path):
    return json.loads(host.check_output(f"curl -sf -u {USER}:{PASSWORD} {URL}{path}"))


def login(host):
    host.check_output(f"podman login -u {USER} -p {shlex.quote(PASSWORD)} {REGISTRY}")


def build(host, tag, payload_cmd):
    host.check_output(
        "rm -rf /tmp/ctx && mkdir /tmp/ctx && cd /tmp/ctx && "
        f"{payload_cmd} && printf 'FROM scratch\\nCOPY payload /payload\\n' > Containerfile && "
        f"podman build -q -t {REGISTRY}/{tag} ."
    )


def test_registry_wants_a_login_and_is_trusted_over_tls(host):
    assert curl_status(host, "/") == "401"
    assert curl_status(host, "/", f"-u {USER}:{PASSWORD}") == "200"
    assert curl_status(host, "/", f"-u {USER}:wrong-password") == "401"


def test_accounts_are_bcrypt_and_only_those_listed():
    htpasswd = REG.file("/etc/docker/registry/htpasswd")
    assert (
        htpasswd.mode == 0o640 and htpasswd.user == "root" and htpasswd.group == "docker-registry"
    )
    entries = dict(line.split(":", 1) for line in htpasswd.content_string.split())
    assert sorted(entries) == ["admin", "ie-podman"]
    assert all(h.startswith("$2") for h in entries.values())
    key = REG.file("/etc/docker/registry/tls/registry.key")
    assert key.mode == 0o640 and key.group == "docker-registry"
    assert REG.file("/etc/docker/registry/tls/ca.key").mode == 0o600


def test_push_from_one_client_and_pull_on_the_other(host):
    build(host, "student1/hello:1", "echo hello from student1 > payload")
    login(host)
    host.check_output(f"podman push -q {REGISTRY}/student1/hello:1")
    login(GS02)
    GS02.check_output(f"podman pull -q {REGISTRY}/student1/hello:1")
    GS02.check_output(
        "podman rm -f copy >/dev/null 2>&1;"
        f" podman create --name copy {REGISTRY}/student1/hello:1 /x"
    )
    try:
        assert "hello from student1" in GS02.check_output("podman cp copy:/payload - | tar -xO")
    finally:
        GS02.run("podman rm -f copy")


def test_catalog_and_tag_lists(host):
    assert "student1/hello" in api(host, "/_catalog")["repositories"]
    assert api(host, "/student1/hello/tags/list") == {"name": "student1/hello", "tags": ["1"]}


def test_unauthenticated_push_is_refused(host):
    assert curl_status(host, "/student1/evil/blobs/uploads/", "-X POST") == "401"
    build(host, "student1/evil:1", "echo evil > payload")
    host.check_output(f"podman logout {REGISTRY}")
    result = host.run(f"podman push {REGISTRY}/student1/evil:1")
    assert result.rc != 0
    said = (result.stderr + result.stdout).lower()
    assert "authentication required" in said or "unauthorized" in said
    login(host)
    assert "student1/evil" not in api(host, "/_catalog")["repositories"]


def test_deleted_image_blobs_are_reclaimed_by_garbage_collection(host):
    build(host, "student1/junk:1", "head -c 2000000 /dev/urandom > payload")
    login(host)
    host.check_output(f"podman push -q {REGISTRY}/student1/junk:1")
    accept = ",".join(
        [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ]
    )
    manifest = json.loads(
        host.check_output(
            f"curl -sf -u {USER}:{PASSWORD} -H 'Accept: {accept}' {URL}/student1/junk/manifests/1"
        )
    )
    layer = manifest["layers"][0]["digest"].split(":", 1)[1]
    assert REG.file(f"{BLOBS}/{layer[:2]}/{layer}/data").exists
    digest = host.check_output(
        f"curl -sfI -u {USER}:{PASSWORD} -H 'Accept: {accept}' {URL}/student1/junk/manifests/1"
        " | tr -d '\\r' | awk -F': ' 'tolower($1)==\"docker-content-digest\" {print $2}'"
    )
    assert (
        curl_status(host, f"/student1/junk/manifests/{digest}", f"-u {USER}:{PASSWORD} -X DELETE")
        == "202"
    )

    REG.check_output("systemctl start ie-registry-gc.service")
    assert not REG.file(f"{BLOBS}/{layer[:2]}/{layer}/data").exists
    # Back to read-write, and the other image is whole.
    assert "config-readonly" not in REG.check_output("systemctl show -P ExecStart docker-registry")
    GS02.check_output(
        f"podman rmi -f {REGISTRY}/student1/hello:1 && podman pull -q {REGISTRY}/student1/hello:1"
    )
    build(host, "student1/after-gc:1", "echo after > payload")
    host.check_output(f"podman push -q {REGISTRY}/student1/after-gc:1")


def test_garbage_collection_timer_is_on():
    timer = REG.service("ie-registry-gc.timer")
    assert timer.is_enabled and timer.is_running
