"""A file-like view of a gzip stream that hashes, counts and bounds as it decompresses.

tarfile reads the decompressed tar from this object (mode ``"r|"``). We decompress ourselves
instead of letting tarfile do it (``"r|gz"``) because tarfile's gzip reader never checks the
CRC or the trailer, stops at the tar end marker without reading the rest of the file, and
inflates each chunk without an output bound. Here every byte of the file is hashed, every
output byte is counted against the limits as it is produced, and a bomb is stopped after at
most ``compression_ratio_grace`` bytes plus one read.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import BinaryIO

from common.errors import BundleRejected

from .limits import BundleLimits, Check

_GZIP_MAGIC = b"\x1f\x8b"
# Compressed bytes read from the source at a time. Small enough that zlib's unconsumed-tail
# copies stay cheap, large enough that the Python overhead per chunk is negligible.
RAW_CHUNK = 256 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer (CRC32, ISIZE) checked by zlib


class GzipStream:
    """Read-only, forward-only stream of the decompressed bytes of ``raw``.

    ``sha256``/``compressed`` cover every byte read from ``raw``; ``decompressed`` counts output.
    ``read_limit`` is the decompressed offset past which reading is refused: the caller raises it
    as each tar member is accepted, so a huge pax or long-name header (which tarfile buffers
    whole) cannot make us hold more than ``max_header_size`` bytes.
    """

    def __init__(self, raw: BinaryIO, limits: BundleLimits) -> None:
        self._raw = raw
        self._limits = limits
        self.sha256 = hashlib.sha256()
        self.compressed = 0
        self.decompressed = 0
        self.read_limit = limits.max_header_size
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._pending = b""  # compressed input not yet given to the inflater
        self._finished = False  # the last gzip member ended exactly at the end of the file
        self._started = False
        # Files plus what tar adds around them: up to three 512-byte header blocks and padding
        # per entry, and the end-of-archive record.
        self._max_output = limits.max_total_size + limits.max_entries * 2048 + 1 * 1024 * 1024

    def _read_raw(self) -> bytes:
        data = self._raw.read(RAW_CHUNK)
        if data:
            self.compressed += len(data)
            if self.compressed > self._limits.max_bundle_size:
                raise BundleRejected(
                    Check.BUNDLE_SIZE,
                    f"bundle is larger than {self._limits.max_bundle_size} bytes",
                )
            self.sha256.update(data)
        return data

    def _next_input(self) -> bytes:
        """The next compressed bytes to inflate; b"" once the whole file is consumed."""
        if self._inflater.eof:
            # A gzip member ended; anything after it must be another gzip member (multi-member
            # files are valid gzip), never trailing garbage.
            rest = self._inflater.unused_data or self._read_raw()
            if not rest:
                self._finished = True
                return b""
            if len(rest) < 2:
                rest += self._read_raw()
            if not rest.startswith(_GZIP_MAGIC):
                raise BundleRejected(Check.GZIP, "data after the end of the gzip stream")
            self._inflater = zlib.decompressobj(_GZIP_WBITS)
            return rest
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        if self._inflater.unconsumed_tail:
            return self._inflater.unconsumed_tail
        data = self._read_raw()
        if not data:
            raise BundleRejected(Check.TRUNCATED, "the gzip stream ends before its trailer")
        return data

    def _start(self) -> None:
        self._started = True
        head = self._read_raw()
        if len(head) < 2:
            head += self._read_raw()
        if not head:
            raise BundleRejected(Check.GZIP, "the file is empty, not a gzip archive")
        if not head.startswith(_GZIP_MAGIC):
            raise BundleRejected(Check.GZIP, "not a gzip file (a plugin bundle is a .tar.gz)")
        self._pending = head

    def read(self, size: int = -1) -> bytes:
        if not self._started:
            self._start()
        if size is None or size < 0:
            size = RAW_CHUNK
        while not self._finished:
            data = self._next_input()
            if not data:
                break
            try:
                out = self._inflater.decompress(data, size)
            except zlib.error as exc:
                raise BundleRejected(Check.GZIP, f"corrupt gzip data: {exc}") from None
            if out:
                self._count(len(out))
                return out
        return b""

    def _count(self, produced: int) -> None:
        limits = self._limits
        self.decompressed += produced
        if self.decompressed > self._max_output:
            raise BundleRejected(
                Check.TOTAL_SIZE,
                f"the archive decompresses to more than {self._max_output} bytes",
            )
        if self.decompressed > self.read_limit:
            raise BundleRejected(
                Check.HEADER_SIZE,
                f"a tar extended header is larger than {limits.max_header_size} bytes",
            )
        if (
            self.decompressed > limits.compression_ratio_grace
            and self.decompressed > limits.max_compression_ratio * self.compressed
        ):
            raise BundleRejected(
                Check.COMPRESSION_RATIO,
                f"decompresses to more than {limits.max_compression_ratio} times its size "
                f"({self.decompressed} bytes from {self.compressed})",
            )

    def drain(self) -> None:
        """Consume the rest of the file: hashed, counted and checked like the archive itself."""
        self.read_limit = 1 << 62  # after the tar end marker nothing is buffered by tarfile
        while self.read(RAW_CHUNK):
            pass
