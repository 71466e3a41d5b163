"""Messages between the console and a student's agent: a 4-byte big-endian
length, then that many bytes of JSON (an object). File descriptors travel
with a message (SCM_RIGHTS), never as paths."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct

# A command's output is at most this long; files go as descriptors.
MAX_FRAME = 16 * 1024 * 1024
MAX_FDS = 1
_LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """The other side broke the protocol or went away."""


def send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(message, ensure_ascii=False).encode()
    if len(data) > MAX_FRAME:
        raise FrameError(f"message of {len(data)} bytes is over {MAX_FRAME}")
    head = _LENGTH.pack(len(data))
    if fds:
        socket.send_fds(sock, [head], fds)
    else:
        sock.sendall(head)
    sock.sendall(data)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise FrameError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> tuple[dict, list[int]]:
    """The next message and the descriptors sent with it (the caller closes them)."""
    head, fds, _flags, _addr = socket.recv_fds(sock, _LENGTH.size, MAX_FDS)
    try:
        if not head:
            raise FrameError("the other side closed the connection")
        head += _exactly(sock, _LENGTH.size - len(head))
        (size,) = _LENGTH.unpack(head)
        if size > MAX_FRAME:
            raise FrameError(f"message of {size} bytes is over {MAX_FRAME}")
        try:
            message = json.loads(_exactly(sock, size))
        except ValueError as exc:
            raise FrameError(f"not JSON: {exc}") from None
        if not isinstance(message, dict):
            raise FrameError("a message must be a JSON object")
    except BaseException:
        for fd in fds:
            _close(fd)
        raise
    return message, fds


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
