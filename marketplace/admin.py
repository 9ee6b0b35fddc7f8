"""Django admin: a read-mostly view of the catalog.

Rows change only through the services (import, publish, certify), which keep the catalog
revision, the stored files and the plugin summaries consistent; the admin offers the
certification as an action and otherwise only reads.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.models import Plugin, Release
from marketplace.services import release_certify


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReleaseInline(admin.TabularInline):
    model = Release
    fields = ["version", "min_server_version", "author_type", "release_stage", "certified"]
    readonly_fields = ["version", "min_server_version", "author_type", "release_stage", "certified"]
    ordering = ["-version_key"]
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plugin)
class PluginAdmin(ReadOnlyAdmin):
    list_display = [
        "plugin_id",
        "name",
        "author_type",
        "release_stage",
        "release_count",
        "download_count",
        "updated_at",
    ]
    list_filter = ["author_type", "release_stage"]
    search_fields = ["plugin_id", "name", "description"]
    list_select_related = ["latest_release"]
    inlines = [ReleaseInline]


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = [
        "plugin",
        "version",
        "min_server_version",
        "author_type",
        "release_stage",
        "enterprise",
        "hosting",
        "source",
        "certified",
        "download_count",
    ]
    list_filter = ["source", "certified", "author_type", "release_stage", "enterprise", "hosting"]
    search_fields = ["plugin__plugin_id", "plugin__name", "version"]
    list_select_related = ["plugin"]
    ordering = ["plugin__plugin_id", "-version_key"]
    exclude = ["entry", "raw", "version_key", "min_server_version_key", "label_names"]
    actions = ["certify"]

    @admin.action(description="Certify the selected releases")
    def certify(self, request: HttpRequest, queryset: QuerySet[Release]) -> None:
        for release in queryset.select_related("plugin"):
            release_certify(
                plugin_id=release.plugin.plugin_id,
                version=release.version,
                actor=request.user,  # type: ignore[arg-type]
            )
        self.message_user(request, f"{queryset.count()} release(s) certified.", messages.SUCCESS)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Actions need no change permission here; they still require a staff user.
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("certify", None)
        return actions
