"""Models of the marketplace app: plugins and their releases.

A ``Release`` is one catalog entry (one plugin id and version). ``entry`` holds its exact wire
form (spec section 4, key order kept, which ``jsonb`` would not keep); the other columns are an
index of it for the catalog API, written from the same normalised entry by the services, never
edited apart from it. Releases the portal hosts also carry their stored bundle and signature.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuthorType(models.TextChoices):
    MATTERMOST = "mattermost", "Mattermost"
    PARTNER = "partner", "Partner"
    COMMUNITY = "community", "Community"


class ReleaseStage(models.TextChoices):
    PRODUCTION = "production", "Production"
    BETA = "beta", "Beta"
    EXPERIMENTAL = "experimental", "Experimental"


class Hosting(models.TextChoices):
    ANY = "", "Any"
    ON_PREM = "on-prem", "On-prem"
    CLOUD = "cloud", "Cloud"


class ReleaseSource(models.TextChoices):
    IMPORTED = "imported", "Imported from a plugins.json"
    PUBLISHED = "published", "Published by the portal (bundle hosted here)"


class Plugin(models.Model):
    """A plugin id. Descriptive fields follow its newest release (see ``latest_release``)."""

    plugin_id = models.CharField(max_length=190, unique=True)
    name = models.TextField(blank=True)
    description = models.TextField(blank=True)
    homepage_url = models.TextField(blank=True)
    support_url = models.TextField(blank=True)
    release_notes_url = models.TextField(blank=True)
    # Legacy imported data may hold "" or other values: not constrained to the choices.
    author_type = models.CharField(max_length=32, blank=True)
    release_stage = models.CharField(max_length=32, blank=True)
    repo_name = models.CharField(max_length=255, blank=True)
    icon_data = models.TextField(blank=True)
    latest_release = models.ForeignKey(
        "Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_count = models.PositiveIntegerField(default=0)
    download_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plugin_id"]
        indexes = [models.Index(fields=["name"], name="mkt_plugin_name")]

    def __str__(self) -> str:
        return self.plugin_id


class Release(models.Model):
    """One (plugin id, version) of the catalog."""

    plugin = models.ForeignKey(Plugin, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=128)
    # Hex text whose byte order is semver precedence (marketplace.versions.db_version_key).
    version_key = models.CharField(max_length=1024)
    min_server_version = models.CharField(max_length=128, blank=True)
    min_server_version_key = models.CharField(max_length=1024, blank=True)
    manifest = models.JSONField()
    hosting = models.CharField(max_length=32, blank=True)
    author_type = models.CharField(max_length=32, blank=True)
    release_stage = models.CharField(max_length=32, blank=True)
    enterprise = models.BooleanField(default=False)
    homepage_url = models.TextField(blank=True)
    release_notes_url = models.TextField(blank=True)
    download_url = models.TextField(blank=True)
    signature = models.TextField(blank=True, help_text="Base64 of the detached OpenPGP signature")
    repo_name = models.CharField(max_length=255, blank=True)
    platforms = models.JSONField(default=dict)
    labels = models.JSONField(default=list, blank=True, help_text="Labels stored in the data")
    # "|name|name|" of the stored labels, so that a label filter is a plain substring match.
    label_names = models.TextField(blank=True)
    updated_at = models.DateTimeField(help_text="The entry's time (microseconds)")
    updated_at_text = models.CharField(max_length=64, help_text="The entry's time as served")
    entry = models.TextField(help_text="The catalog entry as served by /api/v1 (JSON)")
    raw = models.TextField(blank=True, help_text="The entry exactly as imported (JSON)")
    source = models.CharField(max_length=16, choices=ReleaseSource.choices)
    # Catalog order: on equal versions the later entry wins (the Marketplace's tie rule).
    position = models.BigIntegerField()
    # Set for releases the portal hosts (storage names through Django's storage API).
    bundle_name = models.CharField(max_length=512, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    bundle_size = models.BigIntegerField(null=True, blank=True)
    signature_name = models.CharField(max_length=512, blank=True)
    certified = models.BooleanField(default=False)
    certified_at = models.DateTimeField(null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    download_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plugin_id", "-version_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["plugin", "version"], name="mkt_release_plugin_version"
            ),
            models.CheckConstraint(
                condition=models.Q(download_count__gte=0), name="mkt_release_downloads_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["position"], name="mkt_release_position"),
            models.Index(fields=["plugin", "version_key"], name="mkt_release_history"),
            models.Index(fields=["min_server_version_key"], name="mkt_release_min_server"),
            models.Index(fields=["author_type", "release_stage"], name="mkt_release_kind"),
            models.Index(fields=["-updated_at"], name="mkt_release_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.plugin.plugin_id} {self.version}"

    @property
    def is_hosted(self) -> bool:
        return bool(self.bundle_name)


class CatalogState(models.Model):
    """One row: a revision token replaced in the same transaction as every catalog write.

    The Marketplace API caches its loaded entries and responses per revision, so a write is
    seen by every process at its next request and nothing stale is ever served. A random token
    rather than a counter: a rolled-back or restored database can never bring back a value
    that some process cached for different data.
    """

    revision = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"catalog revision {self.revision}"
