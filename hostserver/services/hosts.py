"""Host servers: the defaults, config patches, trusted signing keys."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from common.errors import Conflict, InvalidInput, NotFound
from common.signing import key_fingerprint, portal_keyring
from hostserver import config as mmconfig
from hostserver.models import HostServer, HostTrustedKey

logger = logging.getLogger(__name__)

PORTAL_KEY_NAME = "portal"


def host_create(
    *, name: str, server_version: str | None = None, config: dict[str, Any] | None = None
) -> HostServer:
    """A new host server with Mattermost's plugin defaults (plus the embedded deviations)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        raise InvalidInput(f"invalid host server name {name!r}: use lower-case letters, digits, -")
    if HostServer.objects.filter(name=name).exists():
        raise Conflict(f"a host server named {name!r} exists already")
    version = _clean_version(server_version or settings.HOSTSERVER_SERVER_VERSION)
    with transaction.atomic():
        host = HostServer.objects.create(
            name=name,
            server_version=version,
            config=mmconfig.fill_defaults(config or {}, name),
        )
    host.plugin_dir.mkdir(parents=True, exist_ok=True)
    host.client_dir.mkdir(parents=True, exist_ok=True)
    return host


def host_ensure_defaults() -> list[HostServer]:
    """Create the default host servers if absent and trust the portal's key; idempotent.

    Cheap when everything exists: one query for the hosts, one for their keys, no writes. Safe
    to run concurrently (a lost creation race just re-reads the row).
    """
    names = list(settings.HOSTSERVER_DEFAULT_NAMES)
    existing = {h.name: h for h in HostServer.objects.filter(name__in=names)}
    hosts: list[HostServer] = []
    for name in names:
        host = existing.get(name)
        if host is None:
            try:
                host = host_create(name=name)
            except (IntegrityError, Conflict):  # created concurrently
                host = HostServer.objects.get(name=name)
        elif host.config != mmconfig.fill_defaults(host.config, name):
            host = _fill_missing_config(host=host)
        hosts.append(host)
    armored = _portal_public_key()
    if armored:
        for host in hosts:
            _trust_portal_key(host=host, armored=armored)
    return hosts


@transaction.atomic
def _fill_missing_config(*, host: HostServer) -> HostServer:
    locked = HostServer.objects.select_for_update().get(pk=host.pk)
    locked.config = mmconfig.fill_defaults(locked.config, locked.name)
    locked.save(update_fields=["config", "updated_at"])
    return locked


def _portal_public_key() -> str:
    """The portal's armored public key, or "" while it has none (no key is created here)."""
    try:
        keyring = portal_keyring()
        if not keyring.fingerprint():
            return ""
        return keyring.export_public()
    except Exception:  # The keyring is optional at this point; a host without it still works.
        logger.warning("portal public key unavailable; host servers do not trust it yet")
        return ""


def _trust_portal_key(*, host: HostServer, armored: str) -> None:
    fingerprint = key_fingerprint(armored)
    if HostTrustedKey.objects.filter(host=host, fingerprint=fingerprint).exists():
        return
    name = PORTAL_KEY_NAME
    if HostTrustedKey.objects.filter(host=host, name=name).exists():
        name = f"{PORTAL_KEY_NAME}-{fingerprint[-16:].lower()}"
    with contextlib.suppress(Conflict):  # A concurrent run added it.
        trusted_key_add(host=host, armored=armored, name=name)


@transaction.atomic
def host_config_patch(*, host: HostServer, patch: Any, replace_maps: bool = False) -> HostServer:
    """Merge a Mattermost config patch (``PUT /api/v4/config/patch`` semantics) and save;
    ``replace_maps`` for a full ``PUT /api/v4/config``."""
    locked = HostServer.objects.select_for_update().get(pk=host.pk)
    locked.config = mmconfig.apply_patch(locked.config, patch, replace_maps=replace_maps)
    locked.save(update_fields=["config", "updated_at"])
    return locked


def _clean_version(server_version: str) -> str:
    """A strict semver (Mattermost versions are MAJOR.MINOR.PATCH), or InvalidInput."""
    from common.versions import parse_version

    return str(parse_version(server_version.strip()))


@transaction.atomic
def host_set_server_version(*, host: HostServer, server_version: str) -> HostServer:
    """The Mattermost version this host reports (``X-Version-ID``, ``min_server_version``
    checks at activation, marketplace queries)."""
    locked = HostServer.objects.select_for_update().get(pk=host.pk)
    locked.server_version = _clean_version(server_version)
    locked.save(update_fields=["server_version", "updated_at"])
    return locked


@transaction.atomic
def host_first_admin_visit_set(*, host: HostServer) -> HostServer:
    locked = HostServer.objects.select_for_update().get(pk=host.pk)
    if not locked.first_admin_visit_marketplace:
        locked.first_admin_visit_marketplace = True
        locked.save(update_fields=["first_admin_visit_marketplace", "updated_at"])
    return locked


def trusted_key_add(*, host: HostServer, armored: str, name: str) -> HostTrustedKey:
    """Trust an OpenPGP public key for signatures on ``host`` (``plugin keys add``)."""
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("a key name of 1 to 128 characters is required")
    try:
        fingerprint = key_fingerprint(armored)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"not an OpenPGP public key: {exc}") from exc
    try:
        with transaction.atomic():
            return HostTrustedKey.objects.create(
                host=host, name=name, fingerprint=fingerprint, armored=armored
            )
    except IntegrityError as exc:
        raise Conflict(
            f"host {host.name} already trusts a key named {name!r} or with fingerprint "
            f"{fingerprint}"
        ) from exc


@transaction.atomic
def trusted_key_remove(*, host: HostServer, name: str) -> None:
    """Stop trusting the key named ``name`` (or with that fingerprint) on ``host``."""
    deleted, _ = HostTrustedKey.objects.filter(host=host, name=name).delete()
    if not deleted:
        deleted, _ = HostTrustedKey.objects.filter(
            host=host, fingerprint=name.upper().replace(" ", "")
        ).delete()
    if not deleted:
        raise NotFound(f"host {host.name} has no trusted key named {name!r}")
