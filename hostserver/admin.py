"""Read-only Django admin pages for the host servers.

Changes go through the v4 API, the management commands or the web UI (which call the
services); the admin only shows what is there, so it never bypasses a service's checks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hostserver.models import HostPlugin, HostServer, HostToken, HostTrustedKey


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HostServer)
class HostServerAdmin(ReadOnlyAdmin):
    list_display = ("name", "server_version", "updated_at")
    search_fields = ("name",)


@admin.register(HostPlugin)
class HostPluginAdmin(ReadOnlyAdmin):
    list_display = ("plugin_id", "host", "version", "state", "generation", "updated_at")
    list_filter = ("host", "state")
    search_fields = ("plugin_id",)
    list_select_related = ("host",)


@admin.register(HostTrustedKey)
class HostTrustedKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "host", "fingerprint", "created_at")
    list_filter = ("host",)
    list_select_related = ("host",)


@admin.register(HostToken)
class HostTokenAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "kind", "user", "host", "is_active", "created_at", "expires_at")
    list_filter = ("host", "kind", "is_active")
    exclude = ("token", "csrf_token")  # secrets (a digest, and the session's CSRF token)
    list_select_related = ("host", "user")
