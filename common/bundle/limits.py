"""Bounds every bundle must stay within, and the names of the checks that enforce them."""

from __future__ import annotations

import dataclasses
import enum

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


class Check(enum.StrEnum):
    """The name each refusal carries (``BundleRejected.check``): stable, machine-readable."""

    BUNDLE_SIZE = "bundle_size"  # compressed bytes over max_bundle_size
    GZIP = "gzip"  # not gzip, corrupt deflate data, bad CRC, trailing non-gzip bytes
    TRUNCATED = "truncated"  # the gzip stream or the tar archive ends early
    TAR = "tar"  # not a tar archive, or an invalid header inside it
    HEADER_SIZE = "header_size"  # a pax / GNU long-name header larger than max_header_size
    ABSOLUTE_PATH = "absolute_path"
    PARENT_PATH = "parent_path"  # a ".." component
    FILENAME_ENCODING = "filename_encoding"  # a name that is not valid UTF-8
    FILENAME_CHARS = "filename_chars"  # control characters or backslashes in a name
    PATH_LENGTH = "path_length"
    PATH_DEPTH = "path_depth"
    LINK = "link"  # symbolic or hard link
    ENTRY_TYPE = "entry_type"  # devices, FIFOs, sparse and contiguous files, anything unknown
    DUPLICATE_ENTRY = "duplicate_entry"  # same path twice, or a file where a directory is needed
    ENTRY_COUNT = "entry_count"
    FILE_SIZE = "file_size"
    TOTAL_SIZE = "total_size"
    COMPRESSION_RATIO = "compression_ratio"
    MANIFEST_SIZE = "manifest_size"
    YAML_ALIAS = "yaml_alias"
    MANIFEST = "manifest"  # missing, unparseable or invalid manifest
    FILES = "files"  # the manifest names files the bundle does not contain
    ICON = "icon"  # icon_path missing from the bundle or too large to embed


@dataclasses.dataclass(frozen=True, slots=True)
class BundleLimits:
    """Bounds for one bundle. Mattermost enforces none of them; see docs/bundle-format.md."""

    #: Compressed size of the .tar.gz (what is uploaded and stored).
    max_bundle_size: int = 1 * GiB
    #: Sum of the sizes of all files once decompressed.
    max_total_size: int = 2 * GiB
    #: Size of any single file.
    max_file_size: int = 1 * GiB
    #: Tar entries (files and directories).
    max_entries: int = 20_000
    #: Decompressed bytes per compressed byte; real plugin bundles stay far below 20.
    max_compression_ratio: int = 200
    #: The ratio is only enforced past this many decompressed bytes: tar headers of tiny files
    #: compress extremely well, and a bomb is still stopped after a few MiB of output.
    compression_ratio_grace: int = 8 * MiB
    #: The manifest file (plugin.yml / plugin.yaml / plugin.json).
    max_manifest_size: int = 256 * KiB
    #: The icon embedded in marketplace entries as a data URI.
    max_icon_size: int = 256 * KiB
    #: A pax extended header or GNU long-name record (tarfile holds it in memory).
    max_header_size: int = 64 * KiB
    #: An entry's path in UTF-8 bytes, and one component of it (Linux NAME_MAX).
    max_path_length: int = 1024
    max_name_length: int = 255
    #: Directory levels in an entry's path.
    max_path_depth: int = 32


DEFAULT_LIMITS = BundleLimits()
