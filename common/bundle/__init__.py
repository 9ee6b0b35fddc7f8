"""The Mattermost plugin bundle format: safe reading, manifest validation, extraction.

One implementation for every app: see docs/bundle-format.md for the checks and limits.
"""

from .archive import MANIFEST_NAMES, ArchiveFile
from .limits import DEFAULT_LIMITS, BundleLimits, Check
from .manifest import parse_manifest
from .reader import BundleInfo, extract_bundle, read_bundle
from .validation import SETTING_TYPES, is_valid_http_url, is_valid_plugin_id, validate_manifest
from .webapp import fnv1a_64, webapp_bundle_hash

__all__ = [
    "DEFAULT_LIMITS",
    "MANIFEST_NAMES",
    "SETTING_TYPES",
    "ArchiveFile",
    "BundleInfo",
    "BundleLimits",
    "Check",
    "extract_bundle",
    "fnv1a_64",
    "is_valid_http_url",
    "is_valid_plugin_id",
    "parse_manifest",
    "read_bundle",
    "validate_manifest",
    "webapp_bundle_hash",
]
