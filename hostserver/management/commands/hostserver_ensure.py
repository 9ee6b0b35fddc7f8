"""``manage.py hostserver_ensure``: create the default host servers if absent (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hostserver.selectors import trusted_key_list
from hostserver.services import host_ensure_defaults


class Command(BaseCommand):
    help = "Create the default host servers (settings.HOSTSERVER_DEFAULT_NAMES) if absent."

    def handle(self, *args: Any, **options: Any) -> None:
        for host in host_ensure_defaults():
            keys = ", ".join(key.name for key in trusted_key_list(host=host)) or "none"
            site = host.config.get("ServiceSettings", {}).get("SiteURL", "")
            self.stdout.write(
                f"{host.name}: {site} (Mattermost {host.server_version}; trusted keys: {keys})"
            )
