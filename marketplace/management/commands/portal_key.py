"""``manage.py portal_key {ensure,export,fingerprint}``: the portal's OpenPGP signing key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.signing import portal_keyring


class Command(BaseCommand):
    help = (
        "ensure: create the portal signing key if there is none; export: print its armored "
        "public key (for Mattermost's PluginSettings.SignaturePublicKeyFiles); fingerprint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["ensure", "export", "fingerprint"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        keyring = portal_keyring()
        if action == "ensure":
            existed = keyring.fingerprint() is not None
            created = keyring.ensure_key(
                name=settings.PORTAL_SIGNING_KEY_NAME, email=settings.PORTAL_SIGNING_KEY_EMAIL
            )
            verb = "exists" if existed else "created"
            self.stdout.write(f"portal signing key {verb}: {created}")
            return
        fingerprint = keyring.fingerprint()
        if fingerprint is None:
            raise CommandError("there is no portal signing key; run `portal_key ensure` first")
        if action == "fingerprint":
            self.stdout.write(fingerprint)
        else:
            self.stdout.write(keyring.export_public().rstrip("\n"))
