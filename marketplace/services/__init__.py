"""Writes of the marketplace app. Other apps call these; views and commands stay thin."""

from marketplace.services.imports import ImportReport, catalog_import, catalog_import_file
from marketplace.services.releases import (
    DownloadFile,
    bundle_download_url,
    bundle_storage_name,
    release_certify,
    release_download_count,
    release_download_open,
    release_publish,
)

__all__ = [
    "DownloadFile",
    "ImportReport",
    "bundle_download_url",
    "bundle_storage_name",
    "catalog_import",
    "catalog_import_file",
    "release_certify",
    "release_download_count",
    "release_download_open",
    "release_publish",
]
