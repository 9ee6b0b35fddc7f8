"""Admin: read-mostly views of the pipeline. Changes go through the services (API and UI), so
the workflow's checks and audit trail are never bypassed from here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from certification.models import (
    AuditEvent,
    Deployment,
    Finding,
    NightlyBuild,
    PendingTask,
    Review,
    ScanRun,
    Submission,
    SubmissionRevision,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    model = SubmissionRevision
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number", "version", "source_kind", "source_status", "bundle_sha256", "created_at",
    )  # fmt: skip


class EventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "at", "actor", "action", "from_status", "to_status", "reason_code", "reason_text",
    )  # fmt: skip


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["plugin_id", "version", "owner", "status", "status_changed_at"]
    list_filter = ["status", "licence"]
    search_fields = ["plugin_id", "name", "owner__username"]
    list_select_related = ["owner"]
    inlines = [RevisionInline, EventInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "submission", "actor", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    list_select_related = ["submission", "actor"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "submission", "stage", "reviewer", "decision", "as_security"]
    list_filter = ["stage", "decision"]
    list_select_related = ["submission", "reviewer"]


@admin.register(NightlyBuild)
class NightlyBuildAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "submission", "status", "http_status", "manifest_version"]
    list_filter = ["status", "trigger"]
    list_select_related = ["submission"]


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "submission", "tool", "status", "finished_at"]
    list_filter = ["tool", "status"]
    list_select_related = ["submission"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["submission", "tool", "rule_id", "severity", "file", "line", "blocking"]
    list_filter = ["tool", "severity", "blocking"]
    search_fields = ["rule_id", "file", "message"]
    list_select_related = ["submission"]


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "submission", "purpose", "host", "status", "plugin_state"]
    list_filter = ["purpose", "status"]
    list_select_related = ["submission"]


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "task_name", "sent_at", "attempts", "last_error"]
    list_filter = ["task_name"]
