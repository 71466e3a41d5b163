"""Podman, called with argv lists only, in a clean environment."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any, BinaryIO

from ie_common.errors import ToolFailed
from ie_common.i18n import _
from ie_common.userio import copy_stream

OWNER_LABEL = "ie.owner.uid"
USER_LABEL = "ie.owner.user"
NETWORK_LABEL = "ie.network"
IMAGE_LABEL = "ie.image"  # the image as the student named it (Podman is given its ID)

CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


# Podman's warnings (logrus: `time="..." level=warning msg="..."`, or
# `WARN[0000] ...`), for example about cgroups v1: not why it failed.
WARNING_RE = re.compile(r'(?:time="[^"]*" )?level=(?:warning|info|debug)\b.*|WARN\[\d+\].*')


def failure(args: list[str], returncode: int, stderr: bytes) -> ToolFailed:
    """Podman's error, without its warnings (all of it if nothing else is left)."""
    lines = stderr.decode(errors="replace").strip().splitlines()
    errors = [line for line in lines if not WARNING_RE.fullmatch(line.strip())]
    message = "\n".join(errors or lines).strip()
    return ToolFailed(
        message or _("podman {command} failed ({status})", command=args[0], status=returncode)
    )


class Podman:
    def __init__(self, executable: str = "/usr/bin/podman") -> None:
        self.executable = executable

    def argv(self, args: list[str]) -> list[str]:
        if isinstance(args, str):
            raise TypeError("Podman takes an argv list")
        return [self.executable, *args]

    def run(
        self,
        args: list[str],
        check: bool = True,
        capture: bool = True,
        stdin: bytes | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(  # noqa: S603 - argv list, no shell
            self.argv(args),
            input=stdin,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            env=CLEAN_ENV,
            check=False,
        )
        if check and result.returncode != 0:
            raise failure(args, result.returncode, result.stderr or b"")
        return result

    def stream_in(self, args: list[str], source: BinaryIO) -> None:
        """Run with ``source`` copied to Podman's standard input in pieces."""
        with subprocess.Popen(  # noqa: S603 - argv list, no shell
            self.argv(args), stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=CLEAN_ENV
        ) as proc:
            assert proc.stdin is not None and proc.stderr is not None
            try:
                copy_stream(source, proc.stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            except BaseException:
                proc.kill()
                raise
            stderr = proc.stderr.read(64 * 1024)
        if proc.returncode != 0:
            raise failure(args, proc.returncode, stderr)

    @contextlib.contextmanager
    def stream_out(self, args: list[str]) -> Iterator[BinaryIO]:
        """Podman's standard output as a stream. A reader that stops before the
        end ends Podman; one that read it all sees Podman's failure, if any."""
        with subprocess.Popen(  # noqa: S603 - argv list, no shell
            self.argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CLEAN_ENV
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            try:
                yield proc.stdout
            except BaseException:
                proc.kill()
                raise
            if proc.stdout.read(1):  # the reader had what it needed: end Podman
                proc.kill()
                return
            stderr = proc.stderr.read(64 * 1024)
        if proc.returncode != 0:
            raise failure(args, proc.returncode, stderr)

    def prune_images_of(self, uid: int) -> None:
        """Remove ``uid``'s untagged images that no container uses. A failure
        leaves them counted (the quota then refuses), so it is not an error."""
        self.run(
            ["image", "prune", "--force", "--filter", f"label={OWNER_LABEL}={uid}"], check=False
        )

    def interactive(self, args: list[str]) -> int:
        """Run with the caller's terminal (run -it, exec -it, logs -f)."""
        return subprocess.run(self.argv(args), env=CLEAN_ENV, check=False).returncode  # noqa: S603

    def json(self, args: list[str]) -> Any:
        out = self.run(args).stdout.decode()
        return json.loads(out or "null")

    def container(self, name: str) -> dict[str, Any] | None:
        result = self.run(["container", "inspect", "--", name], check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout or b"[]")
        return data[0] if data else None

    def image(self, ref: str) -> dict[str, Any] | None:
        result = self.run(["image", "inspect", "--", ref], check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout or b"[]")
        return data[0] if data else None

    def containers_of(self, uid: int) -> list[dict[str, Any]]:
        return (
            self.json(["ps", "--all", "--filter", f"label={OWNER_LABEL}={uid}", "--format", "json"])
            or []
        )

    def images_of(self, uid: int) -> list[dict[str, Any]]:
        return (
            self.json(["images", "--filter", f"label={OWNER_LABEL}={uid}", "--format", "json"])
            or []
        )


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    """The labels of an inspected container or image (both layouts)."""
    config = obj.get("Config") or {}
    return dict(config.get("Labels") or obj.get("Labels") or {})
