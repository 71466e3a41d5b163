#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ie-cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_template
short_description: Unpack a registry image as a container template for Slurm jobs
description:
  - Asks the registry for the digest of O(image), and unpacks that image as
    an Apptainer sandbox under O(path) when it is not the one unpacked there
    already, with C(podman pull) of the digest, C(podman save) as an OCI
    archive and C(apptainer build --sandbox) from it.
  - Each digest gets its own directory (C(NAME@DIGEST)); O(path)/NAME is a
    symbolic link to the current one, switched in one rename, so a job that
    started on the previous image keeps it. The previous directory is kept
    until the next change; older ones are removed.
  - A tag that now names another image (a new push) is picked up on the next
    run; an unchanged digest changes nothing and pulls nothing.
author: ie-cluster system admin team (@ie-cluster)
version_added: 1.0.0
options:
  name:
    description: The template's name (a directory name).
    type: str
    required: true
  image:
    description: The image, C(HOST:PORT/REPOSITORY[:TAG]) or with C(@sha256:...).
    type: str
    required: true
  path:
    description: The directory the templates live in.
    type: path
    required: true
  authfile:
    description: Podman's credentials file for the registry (C(auths) of C(HOST:PORT)).
    type: path
attributes:
  check_mode:
    support: full
    description: Asks the registry for the digest and reports whether the template would change.
  diff_mode:
    support: none
    description: A sandbox is a whole file system; the result says which digest it was and is.
"""

EXAMPLES = r"""
- name: The pytorch template on this node
  ie.cluster.container_template:
    name: pytorch
    image: registry01:5000/templates/pytorch:2.5
    path: /var/lib/ie-cluster/templates
    authfile: /etc/ie/ie-podman-registry-auth.json
"""

RETURN = r"""
digest:
  description: The digest of the image the template is now (or would be); null in a check run that could not ask the registry.
  returned: always
  type: str
previous:
  description: The digest it was before, or null.
  returned: always
  type: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible_collections.ie.cluster.plugins.module_utils.container_image import (
    TEMPLATE_NAME,
    parse_reference,
)

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def credentials(authfile, host):
    """The Basic authorization for ``host`` from Podman's auth file, or None."""
    if not authfile:
        return None
    with open(authfile) as f:
        auths = json.load(f).get("auths", {})
    entry = auths.get(host) or auths.get("https://" + host) or {}
    return entry.get("auth")


def registry_digest(host, path, tag, auth, opener=open_url):
    """The digest the registry gives for PATH:TAG (HEAD of the manifest),
    over TLS verified against the system's CAs (registry_client adds the
    department's)."""
    url = "https://%s/v2/%s/manifests/%s" % (host, path, tag or "latest")
    headers = {"Accept": ACCEPT}
    if auth:
        headers["Authorization"] = "Basic " + auth
    response = opener(url, method="HEAD", headers=headers, timeout=30, validate_certs=True)
    digest = response.headers.get("Docker-Content-Digest")
    if not digest or not digest.startswith("sha256:"):
        raise ValueError("the registry gave no digest for %s" % url)
    return digest


def current(path, name):
    """The digest NAME's link points at, or None."""
    link = os.path.join(path, name)
    if not os.path.islink(link):
        return None
    target = os.readlink(link)
    prefix = name + "@"
    return target[len(prefix) :] if target.startswith(prefix) else None


def unpack(module, ref, dest):
    """Pull ``ref`` (a digest reference) and unpack it as a sandbox at dest."""
    authfile = module.params["authfile"]
    pull = ["podman", "pull", "--quiet"] + (["--authfile", authfile] if authfile else []) + [ref]
    rc, _out, err = module.run_command(pull)
    if rc != 0:
        module.fail_json(msg="podman pull %s failed: %s" % (ref, err.strip()))
    work = tempfile.mkdtemp(prefix=".unpack-", dir=module.params["path"])
    try:
        archive = os.path.join(work, "image.tar")
        rc, _out, err = module.run_command(
            ["podman", "save", "--format", "oci-archive", "-o", archive, ref]
        )
        if rc != 0:
            module.fail_json(msg="podman save %s failed: %s" % (ref, err.strip()))
        sandbox = os.path.join(work, "sandbox")
        rc, _out, err = module.run_command(
            ["apptainer", "build", "--sandbox", sandbox, "oci-archive:" + archive]
        )
        if rc != 0:
            module.fail_json(msg="apptainer build of %s failed: %s" % (ref, err.strip()[-2000:]))
        # Every student may read a template; none may change it.
        os.chmod(sandbox, 0o755)  # noqa: S103 - world-readable by design
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(sandbox, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        module.run_command(["podman", "rmi", "--ignore", ref])


def switch(path, name, digest):
    """Point NAME at NAME@DIGEST in one rename."""
    link = os.path.join(path, name)
    temporary = os.path.join(path, ".%s.link" % name)
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink("%s@%s" % (name, digest), temporary)
    os.rename(temporary, link)


def prune(path, name, keep):
    """Remove NAME's unpacked images but those in ``keep``."""
    for entry in os.listdir(path):
        if entry.startswith(name + "@") and entry[len(name) + 1 :] not in keep:
            shutil.rmtree(os.path.join(path, entry), ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            image=dict(type="str", required=True),
            path=dict(type="path", required=True),
            authfile=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    name, image, path = module.params["name"], module.params["image"], module.params["path"]
    if not TEMPLATE_NAME.fullmatch(name):
        module.fail_json(msg="name %r is not a template name" % name)
    parsed = parse_reference(image)
    if parsed is None or parsed[0] is None:
        module.fail_json(msg="image %r is not HOST:PORT/REPOSITORY[:TAG][@sha256:...]" % image)
    host, repo, tag, pinned = parsed
    previous = current(path, name)
    try:
        auth = credentials(module.params["authfile"], host)
        digest = pinned or registry_digest(host, repo, tag, auth)
    except (HTTPError, URLError, OSError, ValueError) as err:
        message = "cannot read the digest of %s from its registry: %s" % (image, err)
        if module.check_mode:
            # A new node in a check run: nothing there yet to ask with.
            module.exit_json(changed=True, digest=None, previous=previous, msg=message)
        module.fail_json(msg=message)
    result = dict(changed=previous != digest, digest=digest, previous=previous)
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    dest = os.path.join(path, "%s@%s" % (name, digest))
    if not os.path.isdir(dest):
        unpack(module, "%s/%s@%s" % (host, repo, digest), dest)
    switch(path, name, digest)
    prune(path, name, keep={digest, previous})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
