"""Plugin install, remove, enable and disable on a host server, with Mattermost's semantics.

The file store (Django's default storage) keeps each installed bundle and its ``.sig`` at
``hostservers/<host>/plugins/<id>.tar.gz[.sig]``; ``<plugin_dir>/<id>/`` is the extracted cache
the supervisor runs from. An install validates and extracts everything into a scratch folder
first; only a bundle that passed every check reaches the file store, the database and the plugin
directory, under the host's lock. A failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from common.bundle import extract_bundle, webapp_bundle_hash
from common.errors import BundleRejected, InvalidInput, UpstreamError
from common.signing import verify_detached
from hostserver import errors
from hostserver.errors import AppError
from hostserver.manifests import PLUGIN_ID_MAX, PLUGIN_ID_MIN, is_valid_plugin_id
from hostserver.models import HostPlugin, HostServer
from hostserver.runtime.records import plugin_activation_requested
from hostserver.runtime.wake import notify_supervisor
from hostserver.selectors import trusted_public_keys

logger = logging.getLogger(__name__)


def storage_name(*, host: HostServer, plugin_id: str, signature: bool = False) -> str:
    return f"hostservers/{host.name}/plugins/{plugin_id}.tar.gz" + (".sig" if signature else "")


#: Scratch folders older than this are leftovers of a killed process, never work in progress.
STALE_SCRATCH_SECONDS = 6 * 3600


def scratch_dir(host: HostServer) -> Path:
    """Scratch space on the plugin directory's file system, so the final move is a rename.

    Leftovers of a process killed mid-install are removed here, so they cannot pile up.
    """
    path = host.root_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STALE_SCRATCH_SECONDS
    for entry in path.iterdir():
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
    return path


@contextlib.contextmanager
def host_lock(host: HostServer) -> Iterator[None]:
    """Serialise installs/removals of one host across threads and processes (file lock), on
    top of the row lock that serialises them across machines sharing PostgreSQL."""
    host.root_dir.mkdir(parents=True, exist_ok=True)
    with (host.root_dir / ".install.lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- checks ------------------------------------------------------------------------------------


def _rejected(exc: BundleRejected) -> AppError:
    """Map a failed bundle check to the error Mattermost gives for the same kind of failure."""
    check = exc.check.lower()
    if exc.reason.startswith("invalid plugin id"):
        return _invalid_id(exc.reason)
    if "manifest" in check or check == "yaml_alias":
        return AppError(
            "app.plugin.manifest.app_error",
            f"Unable to find manifest for extracted plugin: {exc.reason}",
            400,
            detail=str(exc),
        )
    return AppError(
        "app.plugin.extract.app_error",
        f"Encountered error extracting plugin: {exc}",
        400,
        detail=str(exc),
    )


def _invalid_id(detail: str) -> AppError:
    return AppError(
        "app.plugin.invalid_id.app_error",
        f"Plugin Id must be at least {PLUGIN_ID_MIN} characters, at most {PLUGIN_ID_MAX} "
        "characters and match ^[a-zA-Z0-9-_\\.]+$.",
        400,
        detail=detail,
    )


def verify_signature(*, host: HostServer, bundle: Path, signature: bytes | None) -> str:
    """The signer's fingerprint if one of ``host``'s trusted keys signed ``bundle``."""
    if not signature:
        raise AppError(
            "api.plugin.verify_plugin.app_error",
            "Unable to verify signature: the plugin has no signature.",
            500,
        )
    keys = trusted_public_keys(host=host)
    if not keys:
        raise AppError(
            "api.plugin.verify_plugin.app_error",
            "Unable to verify signature: this server trusts no public key.",
            500,
        )
    try:
        return verify_detached(bundle, signature, keys)
    except (InvalidInput, UpstreamError) as exc:
        raise AppError(
            "api.plugin.verify_plugin.app_error",
            f"Unable to verify signature: {exc}",
            500,
            detail=str(exc),
        ) from exc


def _webapp_hash(root: Path, manifest: dict[str, Any]) -> str:
    """FNV-1a-64 of the webapp bundle, or "" without a webapp; Mattermost fails the install
    (500 webapp_bundle) when the declared bundle cannot be unpacked."""
    webapp = manifest.get("webapp")
    if not isinstance(webapp, dict):
        return ""
    bundle_path = str(webapp.get("bundle_path") or "")
    candidate = (root / bundle_path).resolve() if bundle_path else None
    ok = (
        candidate is not None
        and not bundle_path.startswith(".")
        and candidate.is_relative_to(root.resolve())
        and candidate.is_file()
    )
    if not ok or candidate is None:
        raise AppError(
            "app.plugin.webapp_bundle.app_error",
            f"Unable to generate webapp bundle: {bundle_path or '(no bundle_path)'} "
            "is not a file inside the bundle.",
            500,
        )
    return webapp_bundle_hash(candidate)


# --- install -----------------------------------------------------------------------------------


def plugin_install(
    *,
    host: HostServer,
    bundle: Path,
    signature: bytes | None = None,
    force: bool = False,
    verify: bool = False,
    expected_id: str | None = None,
) -> HostPlugin:
    """Install the ``.tar.gz`` at ``bundle`` on ``host``; Mattermost's ``installPlugin``.

    Without ``force`` only a new id installs (400 ``app.plugin.install_id.app_error``); with
    ``force`` an installed plugin is replaced and its ``generation`` bumped so the supervisor
    restarts it. ``verify`` checks ``signature`` against the host's trusted keys first.
    ``expected_id`` refuses a bundle whose id differs (a marketplace entry must not be able to
    overwrite another installed plugin).
    The caller keeps ownership of ``bundle`` (it is copied, never moved).
    """
    if verify:
        verify_signature(host=host, bundle=bundle, signature=signature)
    work = Path(tempfile.mkdtemp(prefix="install-", dir=scratch_dir(host)))
    try:
        # One streaming pass validates and extracts (Mattermost's upload checks: archive,
        # manifest, id), into scratch space; the final move is a rename.
        staged = work / "staged"
        try:
            info = extract_bundle(bundle, staged, strict=False)
        except BundleRejected as exc:
            raise _rejected(exc) from exc
        plugin_id = str(info.plugin_id).lower()
        if not is_valid_plugin_id(plugin_id):
            raise _invalid_id(f"id={plugin_id!r}")
        if expected_id is not None and plugin_id != expected_id.lower():
            raise AppError(
                "app.plugin.install_marketplace_plugin.app_error",
                f"Failed to install marketplace plugin: the downloaded bundle is plugin "
                f"{plugin_id!r}, not {expected_id!r}.",
                500,
            )
        manifest = dict(info.manifest)
        manifest["id"] = plugin_id
        webapp_hash = _webapp_hash(staged, manifest)
        with host_lock(host):
            return _commit_install(
                host=host,
                plugin_id=plugin_id,
                manifest=manifest,
                bundle=bundle,
                sha256=str(info.sha256),
                signature=signature,
                webapp_hash=webapp_hash,
                staged=staged,
                work=work,
                force=force,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install_id_taken(plugin_id: str) -> AppError:
    return AppError(
        "app.plugin.install_id.app_error",
        "Unable to install plugin. A plugin with the same ID is already installed.",
        400,
        detail=f"plugin_id={plugin_id}",
    )


def _commit_install(
    *,
    host: HostServer,
    plugin_id: str,
    manifest: dict[str, Any],
    bundle: Path,
    sha256: str,
    signature: bytes | None,
    webapp_hash: str,
    staged: Path,
    work: Path,
    force: bool,
) -> HostPlugin:
    """The writes of an install, all or nothing: on any failure the new storage objects are
    deleted, a replaced plugin's objects and folder are put back, and the row rolls back."""
    written: list[str] = []
    backups: dict[str, Path] = {}
    target = host.plugin_dir / plugin_id
    previous = work / f"previous-{plugin_id}"
    placed = False
    try:
        with transaction.atomic():
            locked = HostServer.objects.select_for_update().get(pk=host.pk)
            existing = HostPlugin.objects.filter(host=locked, plugin_id=plugin_id).first()
            if existing is not None and not force:
                raise _install_id_taken(plugin_id)
            bundle_name = storage_name(host=locked, plugin_id=plugin_id)
            sig_name = storage_name(host=locked, plugin_id=plugin_id, signature=True)
            # Storage backends never overwrite: move the previous objects of a forced reinstall
            # aside (a local copy) so that a failure below can put them back.
            for name in (bundle_name, sig_name):
                if default_storage.exists(name):
                    backups[name] = _backup_storage_object(name, work / f"backup-{len(backups)}")
                    default_storage.delete(name)
            with bundle.open("rb") as handle:
                saved = default_storage.save(bundle_name, File(handle))
            written.append(saved)
            saved_sig = ""
            if signature:
                saved_sig = default_storage.save(sig_name, ContentFile(signature))
                written.append(saved_sig)
            fields = {
                "manifest": manifest,
                "version": str(manifest.get("version") or "")[:64],
                "bundle_path": saved,
                "signature_path": saved_sig,
                "bundle_sha256": sha256,
                "webapp_hash": webapp_hash,
            }
            if existing is None:
                plugin = HostPlugin.objects.create(host=locked, plugin_id=plugin_id, **fields)
            else:
                for key, value in fields.items():
                    setattr(existing, key, value)
                existing.generation += 1
                # Only the install's fields: the supervisor writes state/pid/error concurrently.
                existing.save(update_fields=[*fields, "generation", "updated_at"])
                plugin = existing
            # Statuses say Starting, not the previous bundle's state, until the supervisor acts.
            plugin_activation_requested(
                host=locked, plugin_id=plugin_id, reinstalled=existing is not None
            )
            # Last step, still inside the transaction: swap the extracted tree into place.
            locked.plugin_dir.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                target.rename(previous)
            staged.rename(target)
            placed = True
            # The supervisor (re)starts the plugin now rather than at its next poll.
            transaction.on_commit(notify_supervisor)
    except BaseException as exc:
        _cleanup_storage(written)
        _restore_storage(backups)
        if placed:
            target.rename(staged)
        if previous.exists() and not target.exists():
            previous.rename(target)
        if isinstance(exc, IntegrityError):
            # Another process created the row between our check and insert: same answer.
            raise _install_id_taken(plugin_id) from exc
        raise
    return plugin


def _backup_storage_object(name: str, local: Path) -> Path:
    with default_storage.open(name, "rb") as source, local.open("wb") as copy:
        shutil.copyfileobj(source, copy, 1024 * 1024)
    return local


def _restore_storage(backups: dict[str, Path]) -> None:
    for name, local in backups.items():
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
            with local.open("rb") as handle:
                default_storage.save(name, File(handle))
        except Exception:  # Best effort: the original error is what the caller must see.
            logger.exception("could not restore %s after a failed install", name)


def _cleanup_storage(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # Best effort: the original error is what the caller must see.
            logger.exception("could not delete %s after a failed install", name)


# --- remove, enable, disable ---------------------------------------------------------------------


def _set_plugin_state(host: HostServer, plugin_id: str, enabled: bool) -> None:
    plugin_settings = host.config.setdefault("PluginSettings", {})
    states = plugin_settings.setdefault("PluginStates", {})
    states[plugin_id] = {"Enable": enabled}


def plugin_remove(*, host: HostServer, plugin_id: str) -> None:
    """Mattermost's ``RemovePlugin``: disable (so a reinstall stays disabled), delete the row
    (the supervisor stops the process), the plugin and webapp folders, and the stored files."""
    plugin_id = plugin_id.lower()
    with host_lock(host):
        with transaction.atomic():
            locked = HostServer.objects.select_for_update().get(pk=host.pk)
            plugin = HostPlugin.objects.filter(host=locked, plugin_id=plugin_id).first()
            if plugin is None:
                raise errors.not_installed(plugin_id)
            names = [plugin.bundle_path, plugin.signature_path]
            _set_plugin_state(locked, plugin_id, False)
            locked.save(update_fields=["config", "updated_at"])
            plugin.delete()
            transaction.on_commit(notify_supervisor)
        for folder in (locked.plugin_dir / plugin_id, locked.client_dir / plugin_id):
            if folder.is_dir() and not folder.is_symlink():
                trash = Path(tempfile.mkdtemp(prefix="remove-", dir=scratch_dir(locked)))
                folder.rename(trash / plugin_id)
                shutil.rmtree(trash, ignore_errors=True)
        _cleanup_storage([name for name in names if name])
    host.refresh_from_db()


@transaction.atomic
def plugin_set_enabled(*, host: HostServer, plugin_id: str, enabled: bool) -> HostServer:
    """Write ``PluginStates[id].Enable`` like Mattermost's enable/disable: the supervisor
    activates or deactivates; failures show in the statuses, never here."""
    plugin_id = plugin_id.lower()
    locked = HostServer.objects.select_for_update().get(pk=host.pk)
    if not HostPlugin.objects.filter(host=locked, plugin_id=plugin_id).exists():
        raise errors.not_installed(plugin_id)
    _set_plugin_state(locked, plugin_id, enabled)
    locked.save(update_fields=["config", "updated_at"])
    if enabled:
        # Statuses say Starting, not a previous failure, until the supervisor acts.
        plugin_activation_requested(host=locked, plugin_id=plugin_id, reinstalled=False)
    host.config = locked.config
    transaction.on_commit(notify_supervisor)
    return locked


def plugin_enable(*, host: HostServer, plugin_id: str) -> HostServer:
    return plugin_set_enabled(host=host, plugin_id=plugin_id, enabled=True)


def plugin_disable(*, host: HostServer, plugin_id: str) -> HostServer:
    return plugin_set_enabled(host=host, plugin_id=plugin_id, enabled=False)
