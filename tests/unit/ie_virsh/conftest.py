"""The fixture ``env``: a host with two templates, an images directory and
limits, around a fake libvirt (fakevirt.py)."""

from __future__ import annotations

import pytest
from fakevirt import FakeVirt

from ie_virsh import backend, config


@pytest.fixture
def env(tmp_path, monkeypatch):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "tiny.qcow2").write_bytes(b"")
    (templates / "debian-13.qcow2").write_bytes(b"")
    images = tmp_path / "images"
    images.mkdir()
    made = []

    def overlay(qemu_img, template, path, size):
        made.append((template, path, size))
        open(path, "w").close()

    monkeypatch.setattr(backend, "create_overlay", overlay)
    monkeypatch.setattr(backend, "virtual_size_gib", lambda qemu_img, image: 1)
    cfg = config.from_dict(
        {
            "templates_dir": str(templates),
            "images_dir": str(images),
            "run_dir": str(tmp_path / "run"),
            "audit_log": str(tmp_path / "audit.log"),
            "lock_file": str(tmp_path / "ie-virsh.lock"),
            # QEMU's user on the test host: any user but root (Debian's nobody)
            "qemu_user": "nobody",
            "qemu_group": "nogroup",
            "limits": {"vms": 2, "vcpus": 3, "memory_mib": 3072, "disk_gib": 30},
        }
    )
    virt = FakeVirt()
    return {"cfg": cfg, "virt": virt, "made": made, "tmp": tmp_path}
