"""Models of the embedded host servers.

A ``HostServer`` is one Mattermost-compatible server: its ``config`` holds the Mattermost config
sections that matter to plugins (``PluginSettings``, ``ServiceSettings``), in Mattermost's own key
spelling. Desired plugin state lives where Mattermost keeps it,
``config["PluginSettings"]["PluginStates"][id]["Enable"]``; the supervisor process reconciles
running processes with it and writes the runtime fields of ``HostPlugin``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models


class HostServer(models.Model):
    name = models.SlugField(max_length=64, unique=True)
    server_version = models.CharField(
        max_length=32, help_text="Mattermost version this server reports"
    )
    config = models.JSONField(default=dict)
    # Mattermost keeps this as a system value (FirstAdminVisitMarketplace), not in config.json.
    first_admin_visit_marketplace = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def root_dir(self) -> Path:
        return Path(settings.HOSTSERVER_ROOT) / self.name

    @property
    def plugin_dir(self) -> Path:
        """``PluginSettings.Directory``: extracted plugins, one folder per id (a cache)."""
        return self.root_dir / "plugins"

    @property
    def client_dir(self) -> Path:
        """``PluginSettings.ClientDirectory``: unpacked webapp bundles (/static/plugins/)."""
        return self.root_dir / "client" / "plugins"


class PluginState(models.IntegerChoices):
    """Mattermost's plugin states, with its numbers (``model.PluginState*``)."""

    NOT_RUNNING = 0, "NotRunning"
    STARTING = 1, "Starting"
    RUNNING = 2, "Running"
    FAILED_TO_START = 3, "FailedToStart"
    FAILED_TO_STAY_RUNNING = 4, "FailedToStayRunning"
    STOPPING = 5, "Stopping"


class HostPlugin(models.Model):
    """A plugin installed on a host server; the file store (bundle, .sig) is the truth."""

    host = models.ForeignKey(HostServer, on_delete=models.CASCADE, related_name="plugins")
    plugin_id = models.CharField(max_length=190)
    manifest = models.JSONField()
    version = models.CharField(max_length=64, blank=True)
    bundle_path = models.CharField(max_length=512, help_text="storage name of plugins/<id>.tar.gz")
    signature_path = models.CharField(max_length=512, blank=True)
    bundle_sha256 = models.CharField(max_length=64)
    webapp_hash = models.CharField(max_length=16, blank=True)
    installed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every install, so the supervisor restarts a running process on a new bundle.
    generation = models.PositiveIntegerField(default=1)

    # Runtime, written by the supervisor process only.
    state = models.SmallIntegerField(choices=PluginState.choices, default=PluginState.NOT_RUNNING)
    error = models.TextField(blank=True)
    pid = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    running_generation = models.PositiveIntegerField(default=0)
    # ISO timestamps of health-check restarts inside the deactivation window.
    restarts = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["host", "plugin_id"], name="hostplugin_unique_id_per_host"
            )
        ]
        ordering = ["host", "plugin_id"]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.plugin_id}@{self.version}"


class HostTrustedKey(models.Model):
    """An OpenPGP public key whose signatures this host server accepts."""

    host = models.ForeignKey(HostServer, on_delete=models.CASCADE, related_name="trusted_keys")
    name = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    armored = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["host", "fingerprint"], name="trustedkey_unique_per_host"
            ),
            models.UniqueConstraint(
                fields=["host", "name"], name="trustedkey_unique_name_per_host"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host.name}:{self.name}"


class HostToken(models.Model):
    """A session token (from login) or a personal access token, 26 characters as in Mattermost."""

    class Kind(models.TextChoices):
        SESSION = "session", "Session"
        PERSONAL = "pat", "Personal access token"

    host = models.ForeignKey(HostServer, on_delete=models.CASCADE, related_name="tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # SHA-256 (hex) of the 26-character token: the token itself is never stored.
    token = models.CharField(max_length=64, unique=True)
    public_id = models.CharField(
        max_length=26, unique=True, help_text="id of a PAT, as in Mattermost"
    )
    csrf_token = models.CharField(max_length=26, blank=True)
    description = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} for {self.user_id}"


class HostUser(models.Model):
    """The Mattermost-style 26-character user id of a portal user on the host servers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hostserver_identity"
    )
    public_id = models.CharField(max_length=26, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.public_id} ({self.user_id})"
