"""Bounded capture of a plugin's stdout/stderr.

A plugin may write without end. Its pipes are drained continuously by one thread per stream (so
the plugin never blocks on a full pipe), into a ring of recent lines in memory and a size-capped
log file that is rotated once: at most ``2 * max_bytes`` on disk per plugin, whatever it prints.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

#: A line longer than this is cut: a plugin printing megabytes without a newline stays bounded.
MAX_LINE_BYTES = 8192
_READ_CHUNK = 65536


class PluginLog:
    def __init__(self, path: Path, *, max_bytes: int, ring_lines: int) -> None:
        self.path = path
        self.max_bytes = max(max_bytes, 4096)
        self._ring: deque[str] = deque(maxlen=max(ring_lines, 1))
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")
        self._size = self._file.tell()
        self.dropped_bytes = 0

    def write_line(self, stream: str, raw: bytes) -> None:
        if len(raw) > MAX_LINE_BYTES:
            raw = raw[:MAX_LINE_BYTES] + b"...[cut]"
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        record = f"{stream}: {text}\n".encode()
        with self._lock:
            self._ring.append(text)
            if self._file.closed:
                return
            if self._size + len(record) > self.max_bytes:
                self._rotate()
            self._file.write(record)
            self._size += len(record)

    def _rotate(self) -> None:
        self._file.close()
        with contextlib.suppress(OSError):
            self.path.replace(self.path.with_name(self.path.name + ".1"))
        self._file = self.path.open("wb")
        self._size = 0

    def tail(self, lines: int = 20) -> list[str]:
        with self._lock:
            return list(self._ring)[-lines:]

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()


def start_drain(
    fd: int,
    *,
    stream: str,
    log: PluginLog,
    on_first_line: Callable[[bytes | None], None] | None = None,
) -> threading.Thread:
    """Drain ``fd`` into ``log`` until EOF, in a daemon thread.

    ``on_first_line`` receives the first complete line (the go-plugin handshake on stdout) or
    ``None`` at EOF before any line; it is not logged.
    """

    def run() -> None:
        pending = b""
        first = on_first_line
        try:
            while True:
                try:
                    chunk = os.read(fd, _READ_CHUNK)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                pending += chunk
                while True:
                    cut = pending.find(b"\n")
                    if cut < 0:
                        break
                    line, pending = pending[:cut], pending[cut + 1 :]
                    if first is not None:
                        first(line)
                        first = None
                    else:
                        log.write_line(stream, line)
                # One flush per chunk read: the file is current without a syscall per line.
                log.flush()
                if len(pending) > MAX_LINE_BYTES:
                    # An endless line: hand it on in pieces rather than holding it all.
                    if first is not None:
                        first(pending)
                        first = None
                    else:
                        log.write_line(stream, pending)
                    pending = b""
            if pending:
                if first is not None:
                    first(pending)
                    first = None
                else:
                    log.write_line(stream, pending)
        finally:
            if first is not None:
                first(None)
            with contextlib.suppress(OSError):
                os.close(fd)

    thread = threading.Thread(target=run, name=f"plugin-{stream}-drain", daemon=True)
    thread.start()
    return thread
