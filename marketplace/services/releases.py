"""Releases the portal hosts: publish (validate, store, sign, list), certify, download."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.errors import BundleRejected, Conflict, InvalidInput, NotFound
from marketplace.compat.wire import PLATFORMS, EntryError, format_go_time, normalize_entry
from marketplace.models import AuthorType, Hosting, Plugin, Release, ReleaseSource, ReleaseStage
from marketplace.services.catalog import (
    catalog_touch,
    next_position,
    plugins_refresh,
    release_fields,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_CHUNK = 1024 * 1024


def bundle_storage_name(plugin_id: str, version: str) -> str:
    return f"plugins/{plugin_id}/{version}/{plugin_id}-{version}.tar.gz"


def bundle_download_url(plugin_id: str, version: str) -> str:
    base = settings.PORTAL_BASE_URL
    return f"{base}/downloads/{plugin_id}/{version}/{plugin_id}-{version}.tar.gz"


@contextlib.contextmanager
def _as_path(bundle: Path | BinaryIO) -> Iterator[Path]:
    """A path to the bundle's bytes: the path itself, or a spooled copy of a stream."""
    if isinstance(bundle, str | Path):
        yield Path(bundle)
        return
    with tempfile.TemporaryDirectory(prefix="portal-publish-") as tmp:
        target = Path(tmp) / "bundle.tar.gz"
        with target.open("wb") as out:
            if hasattr(bundle, "seek"):
                with contextlib.suppress(OSError, ValueError):
                    bundle.seek(0)
            shutil.copyfileobj(bundle, out, _CHUNK)
        yield target


def _check_choice(name: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidInput(f"{name} must be one of {allowed}, not {value!r}")


def _icon_data_uri(icon_svg: bytes | None) -> str:
    if not icon_svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(icon_svg).decode()


def _hosted_entry(
    *,
    manifest: dict[str, Any],
    icon_svg: bytes | None,
    signature: bytes,
    author_type: str,
    release_stage: str,
    enterprise: bool,
    hosting: str,
    release_notes_url: str,
) -> dict[str, Any]:
    plugin_id, version = manifest["id"], manifest["version"]
    homepage = manifest.get("homepage_url") or ""
    entry: dict[str, Any] = {
        "homepage_url": homepage,
        "icon_data": _icon_data_uri(icon_svg),
        "download_url": bundle_download_url(plugin_id, version),
        "release_notes_url": release_notes_url or manifest.get("release_notes_url") or "",
        "hosting": hosting,
        "author_type": author_type,
        "release_stage": release_stage,
        "enterprise": enterprise,
        "signature": base64.b64encode(signature).decode(),
        "repo_name": homepage.rstrip("/").rsplit("/", 1)[-1] if "github.com/" in homepage else "",
        "manifest": manifest,
        "platforms": {name: {} for name in PLATFORMS},
        "updated_at": format_go_time(timezone.now()),
    }
    try:
        return normalize_entry(entry)
    except (EntryError, ValueError) as exc:
        raise InvalidInput(f"the bundle's manifest cannot be listed: {exc}") from exc


def _store(name: str, source: IO[bytes], stored: list[str]) -> None:
    saved = default_storage.save(name, File(source, name=Path(name).name))
    stored.append(saved)
    if saved != name:  # the storage renamed it: the expected name is taken
        raise Conflict(f"storage already holds {name}")


def release_publish(
    *,
    bundle: Path | BinaryIO,
    author_type: str,
    release_stage: str,
    enterprise: bool = False,
    hosting: str = "",
    certified: bool = False,
    actor: User | None = None,
    release_notes_url: str = "",
) -> Release:
    """Validate a bundle, store it and its detached signature, and list it as a release.

    Nothing is left behind on failure: files stored so far are deleted and the rows roll back.
    Re-publishing an existing (id, version) raises ``Conflict``.
    """
    from common.bundle import read_bundle
    from common.signing import portal_keyring

    _check_choice("author_type", author_type, list(AuthorType.values))
    _check_choice("release_stage", release_stage, list(ReleaseStage.values))
    _check_choice("hosting", hosting, list(Hosting.values))
    with _as_path(bundle) as path:
        info = read_bundle(path)
        plugin_id, version = info.plugin_id, info.version
        if not version:
            # Manifest.IsValid allows an empty version; a catalog release cannot have one.
            raise BundleRejected("manifest", "the manifest has no version; a release needs one")
        if Release.objects.filter(plugin__plugin_id=plugin_id, version=version).exists():
            raise Conflict(f"{plugin_id} {version} is already in the catalog")
        entry = _hosted_entry(
            manifest=dict(info.manifest),
            icon_svg=info.icon_svg,
            signature=b"",  # placeholder; validated before the costly signing
            author_type=author_type,
            release_stage=release_stage,
            enterprise=enterprise,
            hosting=hosting,
            release_notes_url=release_notes_url,
        )
        keyring = portal_keyring()
        # A fresh installation signs its first release with a key made on the spot.
        keyring.ensure_key(
            name=settings.PORTAL_SIGNING_KEY_NAME, email=settings.PORTAL_SIGNING_KEY_EMAIL
        )
        signature = keyring.sign_detached(path)
        entry["signature"] = base64.b64encode(signature).decode()
        name = bundle_storage_name(plugin_id, version)
        stored: list[str] = []
        try:
            with transaction.atomic():
                plugin, _ = Plugin.objects.get_or_create(plugin_id=plugin_id)
                Plugin.objects.select_for_update().get(pk=plugin.pk)
                if Release.objects.filter(plugin=plugin, version=version).exists():
                    raise Conflict(f"{plugin_id} {version} is already in the catalog")
                for orphan in (name, name + ".sig"):
                    # No row owns them (checked under the lock): a failed earlier attempt's.
                    if default_storage.exists(orphan):
                        default_storage.delete(orphan)
                with path.open("rb") as source:
                    _store(name, source, stored)
                _store(name + ".sig", io.BytesIO(signature), stored)
                now = timezone.now()
                release = Release.objects.create(
                    plugin=plugin,
                    source=ReleaseSource.PUBLISHED,
                    position=next_position(),
                    bundle_name=name,
                    bundle_sha256=info.sha256,
                    bundle_size=info.size,
                    signature_name=name + ".sig",
                    certified=certified,
                    certified_at=now if certified else None,
                    certified_by=actor if certified else None,
                    published_by=actor,
                    **release_fields(entry),
                )
                plugins_refresh(plugin_ids=[plugin.pk])
                catalog_touch()
        except IntegrityError as exc:
            _delete_all(stored)
            raise Conflict(f"{plugin_id} {version} is already in the catalog") from exc
        except BaseException:
            _delete_all(stored)
            raise
    return release


def _delete_all(names: list[str]) -> None:
    for stored_name in names:
        with contextlib.suppress(Exception):
            default_storage.delete(stored_name)


@transaction.atomic
def release_certify(*, plugin_id: str, version: str, actor: User | None) -> Release:
    """Mark a release certified (idempotent: an already certified release is returned as is)."""
    try:
        release = Release.objects.select_for_update().get(
            plugin__plugin_id=plugin_id, version=version
        )
    except Release.DoesNotExist:
        raise NotFound(f"release {plugin_id!r} {version!r} does not exist") from None
    if not release.certified:
        release.certified = True
        release.certified_at = timezone.now()
        release.certified_by = actor
        release.save(update_fields=["certified", "certified_at", "certified_by", "modified_at"])
    return release


@dataclass
class DownloadFile:
    file: IO[bytes]
    size: int
    sha256: str
    content_type: str


def release_download_open(
    *, plugin_id: str, version: str, filename: str, count: bool = True
) -> DownloadFile:
    """Open a hosted release's bundle (counted) or signature for streaming."""
    bundle_file = f"{plugin_id}-{version}.tar.gz"
    if filename not in (bundle_file, bundle_file + ".sig"):
        raise NotFound(f"no file {filename!r} for {plugin_id} {version}")
    release = (
        Release.objects.filter(plugin__plugin_id=plugin_id, version=version)
        .exclude(bundle_name="")
        .first()
    )
    if release is None:
        raise NotFound(f"{plugin_id} {version} is not hosted here")
    try:
        if filename.endswith(".sig"):
            with default_storage.open(release.signature_name, "rb") as handle:
                data = handle.read()
            return DownloadFile(
                file=io.BytesIO(data),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                content_type="application/pgp-signature",
            )
        handle = default_storage.open(release.bundle_name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFound(f"the stored file of {plugin_id} {version} is missing") from exc
    if count:
        release_download_count(release_id=release.pk)
    return DownloadFile(
        file=handle,
        size=release.bundle_size or 0,
        sha256=release.bundle_sha256,
        content_type="application/gzip",
    )


@transaction.atomic
def release_download_count(*, release_id: int) -> None:
    """Count one download, atomically in the database (no read-modify-write)."""
    plugin_id = Release.objects.filter(pk=release_id).values_list("plugin_id", flat=True).first()
    if plugin_id is None:
        raise NotFound(f"release {release_id} does not exist")
    Release.objects.filter(pk=release_id).update(download_count=F("download_count") + 1)
    Plugin.objects.filter(pk=plugin_id).update(download_count=F("download_count") + 1)
