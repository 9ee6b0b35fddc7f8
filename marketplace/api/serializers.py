"""Serializers of the catalog API: output shapes, and the upload input, kept apart."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from marketplace.compat import computed_labels
from marketplace.models import AuthorType, Hosting, Plugin, Release, ReleaseStage


class LabelSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()
    color = serializers.CharField()


def release_labels(release: Release) -> list[dict[str, Any]]:
    """Stored labels, then the computed ones: what the Marketplace API shows."""
    return list(release.labels or []) + computed_labels(
        author_type=release.author_type,
        release_stage=release.release_stage,
        enterprise=release.enterprise,
    )


class ReleaseSerializer(serializers.ModelSerializer):
    """A release in lists and version histories."""

    plugin_id = serializers.CharField(source="plugin.plugin_id")
    labels = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()
    size = serializers.IntegerField(source="bundle_size", allow_null=True)
    hosted = serializers.BooleanField(source="is_hosted")
    updated_at = serializers.CharField(source="updated_at_text")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "plugin_id",
            "version",
            "min_server_version",
            "author_type",
            "release_stage",
            "enterprise",
            "hosting",
            "labels",
            "certified",
            "certified_at",
            "hosted",
            "download_url",
            "sha256",
            "size",
            "signature",
            "download_count",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(LabelSerializer(many=True))
    def get_labels(self, release: Release) -> list[dict[str, Any]]:
        return release_labels(release)

    @extend_schema_field(OpenApiTypes.STR)
    def get_sha256(self, release: Release) -> str | None:
        """Of the bundle the portal hosts; null for imported releases hosted elsewhere."""
        return release.bundle_sha256 or None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, release: Release) -> str:
        return reverse(
            "catalog-release-detail",
            kwargs={"plugin_id": release.plugin.plugin_id, "version": release.version},
            request=self.context.get("request"),
        )


class ReleaseDetailSerializer(ReleaseSerializer):
    """A release with its manifest, platform bundles and signature file."""

    signature_url = serializers.SerializerMethodField()
    manifest = serializers.JSONField()
    platforms = serializers.JSONField()

    class Meta(ReleaseSerializer.Meta):
        fields = [
            *ReleaseSerializer.Meta.fields,
            "homepage_url",
            "release_notes_url",
            "repo_name",
            "signature_url",
            "manifest",
            "platforms",
            "source",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_signature_url(self, release: Release) -> str | None:
        return release.download_url + ".sig" if release.is_hosted else None


class PluginSerializer(serializers.ModelSerializer):
    latest_release = ReleaseSerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Plugin
        fields = [
            "plugin_id",
            "name",
            "description",
            "homepage_url",
            "support_url",
            "release_notes_url",
            "author_type",
            "release_stage",
            "repo_name",
            "release_count",
            "download_count",
            "latest_release",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, plugin: Plugin) -> str:
        return reverse(
            "catalog-plugin-detail",
            kwargs={"plugin_id": plugin.plugin_id},
            request=self.context.get("request"),
        )


class PluginDetailSerializer(PluginSerializer):
    releases_url = serializers.SerializerMethodField()

    class Meta(PluginSerializer.Meta):
        fields = [*PluginSerializer.Meta.fields, "icon_data", "releases_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_releases_url(self, plugin: Plugin) -> str:
        return reverse(
            "catalog-plugin-releases",
            kwargs={"plugin_id": plugin.plugin_id},
            request=self.context.get("request"),
        )


class ReleaseUploadSerializer(serializers.Serializer):
    """Input of ``POST /api/catalog/releases/`` (multipart)."""

    bundle = serializers.FileField(help_text="The plugin bundle (.tar.gz)")
    author_type = serializers.ChoiceField(choices=AuthorType.choices)
    release_stage = serializers.ChoiceField(
        choices=ReleaseStage.choices, default=ReleaseStage.PRODUCTION
    )
    enterprise = serializers.BooleanField(default=False)
    hosting = serializers.ChoiceField(
        choices=Hosting.choices, default=Hosting.ANY, allow_blank=True
    )
    release_notes_url = serializers.URLField(required=False, default="", allow_blank=True)


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457 problem details)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
