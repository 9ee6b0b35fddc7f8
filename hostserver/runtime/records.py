"""Reads and writes of the supervisor: hosts and plugins in, runtime fields of HostPlugin out.

Each write is one small transaction on one row that touches only the runtime fields, so it never
overwrites what the v4 API writes (manifest, generation, ...) in the meantime. SQLite's "database
is locked" and a dropped PostgreSQL connection are retried briefly; the loop also survives them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)

from hostserver.models import HostPlugin, HostServer, PluginState

logger = logging.getLogger(__name__)

#: The only HostPlugin fields the supervisor writes.
RUNTIME_FIELDS = frozenset(
    {
        "state",
        "error",
        "pid",
        "started_at",
        "heartbeat_at",
        "running_generation",
        "restarts",
        "webapp_hash",
    }
)

T = TypeVar("T")


def _retrying(operation: Callable[[], T], *, attempts: int = 5) -> T:
    for attempt in range(attempts):
        try:
            return operation()
        except (OperationalError, InterfaceError) as exc:
            if attempt == attempts - 1:
                raise
            logger.warning("database busy or gone (%s); retrying", exc)
            # A broken PostgreSQL connection must be dropped to be replaced.
            if not connection.in_atomic_block:
                close_old_connections()
            time.sleep(0.1 * (2**attempt))
    raise AssertionError("unreachable")


def hosts_with_plugins() -> list[tuple[HostServer, list[HostPlugin]]]:
    """Every host server with its installed plugins (two queries).

    Manifests are left out: this runs every pass, and only an activation needs one
    (``plugin_manifest``).
    """

    def read() -> list[tuple[HostServer, list[HostPlugin]]]:
        hosts = list(HostServer.objects.all())
        by_host: dict[int, list[HostPlugin]] = {host.pk: [] for host in hosts}
        for plugin in HostPlugin.objects.defer("manifest"):
            by_host.setdefault(plugin.host_id, []).append(plugin)
        return [(host, by_host[host.pk]) for host in hosts]

    return _retrying(read)


def plugin_manifest(*, plugin_pk: int) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        found = HostPlugin.objects.filter(pk=plugin_pk).values_list("manifest", flat=True).first()
        return dict(found or {})

    return _retrying(read)


def host_if_plugin_removed(*, host_pk: int, plugin_id: str) -> HostServer | None:
    """The host, when it exists but no longer has ``plugin_id`` installed."""

    def read() -> HostServer | None:
        host = HostServer.objects.filter(pk=host_pk).first()
        if host is None or HostPlugin.objects.filter(host=host, plugin_id=plugin_id).exists():
            return None
        return host

    return _retrying(read)


def trusted_keys(*, host: HostServer) -> list[str]:
    return _retrying(lambda: list(host.trusted_keys.values_list("armored", flat=True)))


def plugin_runtime_update(*, plugin_pk: int, **fields: Any) -> bool:
    """Write runtime fields of one plugin row; False if the row is gone (plugin removed)."""
    unknown = set(fields) - RUNTIME_FIELDS
    if unknown:
        raise ValueError(f"not runtime fields: {sorted(unknown)}")

    def write() -> bool:
        with transaction.atomic():
            return HostPlugin.objects.filter(pk=plugin_pk).update(**fields) > 0

    try:
        return _retrying(write)
    except DatabaseError:
        logger.exception("could not record runtime state of plugin row %s", plugin_pk)
        return False


def plugin_activation_requested(*, host: HostServer, plugin_id: str, reinstalled: bool) -> None:
    """Called by the install and enable services, inside their transaction.

    Mattermost activates inside the request, so its statuses are current when install or enable
    returns; ours activates a moment later in the supervisor. Marking the plugin Starting (with
    no error) until then keeps a client from reading the previous version's Running or the
    previous attempt's failure as the answer. A plugin already running the same bundle is left
    alone. No-op when the plugin is not enabled.
    """
    plugin_settings = host.config.get("PluginSettings") or {}
    states = plugin_settings.get("PluginStates") or {}
    if plugin_settings.get("Enable", True) is False:
        return
    if (states.get(plugin_id) or {}).get("Enable") is not True:
        return
    rows = HostPlugin.objects.filter(host=host, plugin_id=plugin_id)
    if not reinstalled:
        rows = rows.exclude(state=PluginState.RUNNING)
    rows.update(state=PluginState.STARTING, error="")
