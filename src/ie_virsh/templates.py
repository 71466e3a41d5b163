"""The admins' templates: listed by name from their directory (never a
path from the caller), and the kernel and initrd beside a built one."""

from __future__ import annotations

import os
import re

from ie_common.errors import NotFound
from ie_common.i18n import _

TEMPLATE_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
TEMPLATE_SUFFIX = ".qcow2"
KERNEL_SUFFIX = ".vmlinuz"
INITRD_SUFFIX = ".initrd"


class TemplateFiles:
    """For ie-virsh's App: needs ``cfg``."""

    def templates(self) -> list[str]:
        try:
            entries = sorted(os.listdir(self.cfg.templates_dir))
        except FileNotFoundError:
            return []
        return [
            e[: -len(TEMPLATE_SUFFIX)]
            for e in entries
            if e.endswith(TEMPLATE_SUFFIX) and TEMPLATE_RE.fullmatch(e[: -len(TEMPLATE_SUFFIX)])
        ]

    def template_path(self, name: str) -> str:
        # Only names from the admins' directory listing: never a path.
        if name not in self.templates():
            raise NotFound(
                _("there is no template {name!r}", name=name), _("ie-virsh templates lists them")
            )
        return os.path.join(self.cfg.templates_dir, name + TEMPLATE_SUFFIX)

    def boot_files(self, template: str) -> dict[str, str]:
        """The template's kernel and initrd beside its disk in the admins'
        directory (the kvm role's kvm_template_builds), for direct kernel
        boot; none for a template that boots from its disk."""
        if not TEMPLATE_RE.fullmatch(template):
            return {}
        stem = os.path.join(self.cfg.templates_dir, template)
        kernel, initrd = stem + KERNEL_SUFFIX, stem + INITRD_SUFFIX
        if os.path.isfile(kernel) and os.path.isfile(initrd):
            return {"kernel": kernel, "initrd": initrd}
        return {}
