"""Wake the supervisor as soon as desired state changes, instead of at its next poll.

The supervisor binds a datagram socket in Linux's abstract namespace, named after its
HOSTSERVER_ROOT (no file to clean up, no path-length limit). Services that change desired state
(install, enable, disable, remove) call ``notify_supervisor()`` after their commit: one
non-blocking datagram, silently dropped when no supervisor runs. The poll stays as the safety
net, so a lost datagram only costs one interval.
"""

from __future__ import annotations

import contextlib
import hashlib
import select
import socket
from pathlib import Path

from django.conf import settings


def _address(root: Path | None) -> bytes:
    resolved = str(Path(root or settings.HOSTSERVER_ROOT).resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:32]
    return b"\0plugin-portal-supervisor-" + digest.encode()


def notify_supervisor(root: Path | None = None) -> None:
    """Best effort: never blocks, never raises."""
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        sock.setblocking(False)
        sock.sendto(b"!", _address(root))


class WakeSocket:
    def __init__(self, root: Path) -> None:
        self._sock: socket.socket | None = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._sock.bind(_address(root))
        except OSError:
            # Taken (another supervisor: its lock refuses us anyway) or unsupported: poll only.
            self._sock.close()
            self._sock = None
        else:
            self._sock.setblocking(False)

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout``; True if woken by a notification (all pending are drained)."""
        if self._sock is None:
            select.select([], [], [], timeout)
            return False
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError, OSError):
            while True:
                self._sock.recv(64)
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
