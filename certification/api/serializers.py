"""Input and output serializers, kept apart; they validate shape, never business rules."""

from __future__ import annotations

from rest_framework import serializers

from certification.models import (
    AuditEvent,
    Deployment,
    Finding,
    NightlyBuild,
    Review,
    ScanRun,
    Submission,
    SubmissionRevision,
)
from certification.workflow import Reason

# --- input ---------------------------------------------------------------------------------


class SubmissionCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    repository_url = serializers.CharField(max_length=500)
    nightly_url = serializers.CharField(max_length=500)
    licence = serializers.CharField(max_length=64, help_text="SPDX licence id")
    bundle = serializers.FileField(help_text="The plugin bundle (.tar.gz)")
    source_archive = serializers.FileField(
        required=False, help_text="The plugin's source as .tar.gz or .zip"
    )
    git_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    git_ref = serializers.CharField(max_length=255, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ResubmitIn(serializers.Serializer):
    bundle = serializers.FileField(required=False)
    source_archive = serializers.FileField(required=False)
    git_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    git_ref = serializers.CharField(max_length=255, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ApproveIn(serializers.Serializer):
    checklist = serializers.DictField(child=serializers.BooleanField())
    text = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionIn(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=Reason.choices)
    text = serializers.CharField()


class WithdrawIn(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class WaiveIn(serializers.Serializer):
    justification = serializers.CharField()


# --- output --------------------------------------------------------------------------------


class RevisionOut(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = SubmissionRevision
        fields = [
            "number", "source_kind", "source_filename", "git_url", "git_ref", "source_status",
            "source_error", "source_sha256", "bundle_sha256", "bundle_size", "version", "note",
            "created_by", "created_at",
        ]  # fmt: skip


class SubmissionOut(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")
    basic_reviewer = serializers.CharField(
        source="basic_reviewer.username", default=None, allow_null=True
    )
    revision = serializers.IntegerField(source="current_revision.number", default=None)
    source_status = serializers.CharField(source="current_revision.source_status", default=None)

    class Meta:
        model = Submission
        fields = [
            "id", "plugin_id", "name", "owner", "repository_url", "nightly_url", "licence",
            "status", "status_message", "status_changed_at", "return_stage", "version",
            "revision", "source_status", "basic_reviewer", "recertifies", "certified_at",
            "created_at",
        ]  # fmt: skip


class AuditEventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id", "actor", "action", "from_status", "to_status", "reason_code", "reason_text",
            "evidence", "at",
        ]  # fmt: skip


class ReviewOut(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")
    revision = serializers.IntegerField(source="revision.number")

    class Meta:
        model = Review
        fields = [
            "id", "stage", "revision", "reviewer", "decision", "as_security", "checklist",
            "reason_code", "text", "created_at",
        ]  # fmt: skip


class NightlyBuildOut(serializers.ModelSerializer):
    class Meta:
        model = NightlyBuild
        fields = [
            "id", "submission", "url", "trigger", "status", "reason", "http_status", "size",
            "sha256", "manifest_version", "duration_ms", "log", "attempt", "heartbeat_at",
            "deployed", "deployment_state", "deployment_message", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip


class ScanRunOut(serializers.ModelSerializer):
    revision = serializers.IntegerField(source="revision.number")

    class Meta:
        model = ScanRun
        fields = [
            "id", "revision", "tool", "status", "error", "attempt", "started_at", "finished_at",
            "heartbeat_at", "stats",
        ]  # fmt: skip


class FindingOut(serializers.ModelSerializer):
    waived_by = serializers.CharField(source="waived_by.username", default=None, allow_null=True)
    revision = serializers.IntegerField(source="scan.revision.number")

    class Meta:
        model = Finding
        fields = [
            "id", "revision", "tool", "rule_id", "severity", "file", "line", "message", "snippet",
            "blocking", "waived_by", "waiver_justification", "waived_at",
        ]  # fmt: skip


class DeploymentOut(serializers.ModelSerializer):
    revision = serializers.IntegerField(source="revision.number")

    class Meta:
        model = Deployment
        fields = [
            "id", "revision", "purpose", "host", "status", "plugin_state", "message", "attempt",
            "created_at", "finished_at",
        ]  # fmt: skip


class SubmissionDetailOut(SubmissionOut):
    revisions = RevisionOut(many=True, read_only=True)
    requirements = serializers.SerializerMethodField()

    class Meta(SubmissionOut.Meta):
        fields = [*SubmissionOut.Meta.fields, "revisions", "requirements"]

    def get_requirements(self, obj: Submission) -> dict:
        from certification.selectors import stage_requirements

        return stage_requirements(submission=obj)
