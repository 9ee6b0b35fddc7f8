"""Reads of the host server app: hosts, installed plugins, keys and tokens."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from hostserver.ids import token_digest
from hostserver.models import (
    HostPlugin,
    HostServer,
    HostToken,
    HostTrustedKey,
    HostUser,
    PluginState,
)


def host_get(*, name: str) -> HostServer | None:
    return HostServer.objects.filter(name=name).first()


def host_list() -> QuerySet[HostServer]:
    return HostServer.objects.order_by("name")


def plugin_get(*, host: HostServer, plugin_id: str) -> HostPlugin | None:
    return HostPlugin.objects.filter(host=host, plugin_id=plugin_id.lower()).first()


def plugin_list(*, host: HostServer) -> QuerySet[HostPlugin]:
    return HostPlugin.objects.filter(host=host).order_by("plugin_id")


def plugin_active_list(*, host: HostServer) -> QuerySet[HostPlugin]:
    """Plugins whose process (or webapp) is up: Mattermost's ``active`` = state Running."""
    return plugin_list(host=host).filter(state=PluginState.RUNNING)


def plugin_desired_enabled(*, host: HostServer, plugin_id: str) -> bool:
    states = host.config.get("PluginSettings", {}).get("PluginStates", {})
    state = states.get(plugin_id.lower())
    return bool(isinstance(state, dict) and state.get("Enable"))


def trusted_key_list(*, host: HostServer) -> QuerySet[HostTrustedKey]:
    return HostTrustedKey.objects.filter(host=host).order_by("name")


def trusted_public_keys(*, host: HostServer) -> list[str]:
    return list(trusted_key_list(host=host).values_list("armored", flat=True))


def token_find(*, host: HostServer, token: str) -> HostToken | None:
    """The live token (session or PAT) for ``token``, or None; never raises."""
    if len(token) != 26 or not token.isalnum():
        return None
    digest = token_digest(token)
    row = (
        HostToken.objects.select_related("user")
        .filter(host=host, token=digest, is_active=True)
        .first()
    )
    # The lookup is by digest; compare again in constant time so that timing says nothing.
    if row is None or not hmac.compare_digest(row.token, digest):
        return None
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return None
    if not row.user.is_active:
        return None
    if row.kind == HostToken.Kind.PERSONAL and not host.config.get("ServiceSettings", {}).get(
        "EnableUserAccessTokens", False
    ):
        return None
    return row


def pat_list(*, host: HostServer, user: Any, page: int = 0, per_page: int = 100) -> list[HostToken]:
    qs = HostToken.objects.filter(host=host, user=user, kind=HostToken.Kind.PERSONAL).order_by(
        "created_at", "public_id"
    )
    return list(qs[page * per_page : (page + 1) * per_page])


def pat_list_all(*, host: HostServer, page: int = 0, per_page: int = 100) -> list[HostToken]:
    qs = (
        HostToken.objects.select_related("user")
        .filter(host=host, kind=HostToken.Kind.PERSONAL)
        .order_by("created_at", "public_id")
    )
    return list(qs[page * per_page : (page + 1) * per_page])


def pat_get(*, host: HostServer, token_id: str) -> HostToken | None:
    return (
        HostToken.objects.select_related("user")
        .filter(host=host, public_id=token_id, kind=HostToken.Kind.PERSONAL)
        .first()
    )


def user_by_public_id(*, public_id: str) -> Any | None:
    row = HostUser.objects.select_related("user").filter(public_id=public_id).first()
    return row.user if row else None


def user_by_login_id(*, login_id: str) -> Any | None:
    """The portal user whose username, or else e-mail, is ``login_id`` (case-insensitive)."""
    users = get_user_model().objects
    user = users.filter(username__iexact=login_id).first()
    if user is None and "@" in login_id:
        user = users.filter(email__iexact=login_id).order_by("pk").first()
    return user
