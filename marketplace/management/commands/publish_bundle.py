"""``manage.py publish_bundle PATH.tar.gz``: validate, store, sign and list a bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import PortalError
from marketplace.models import AuthorType, Hosting, ReleaseStage
from marketplace.services import release_publish


class Command(BaseCommand):
    help = "Validate a plugin bundle, store and sign it, and list it as a catalog release."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the plugin bundle (.tar.gz)")
        parser.add_argument(
            "--author-type", choices=AuthorType.values, default=AuthorType.COMMUNITY.value
        )
        parser.add_argument(
            "--release-stage", choices=ReleaseStage.values, default=ReleaseStage.PRODUCTION.value
        )
        parser.add_argument("--hosting", choices=Hosting.values, default=Hosting.ANY.value)
        parser.add_argument("--enterprise", action="store_true", help="needs an enterprise licence")
        parser.add_argument("--certified", action="store_true", help="list it as certified")
        parser.add_argument("--release-notes-url", default="")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            release = release_publish(
                bundle=path,
                author_type=options["author_type"],
                release_stage=options["release_stage"],
                hosting=options["hosting"],
                enterprise=options["enterprise"],
                certified=options["certified"],
                release_notes_url=options["release_notes_url"],
            )
        except PortalError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"published {release.plugin.plugin_id} {release.version}\n"
                f"  download: {release.download_url}\n"
                f"  sha256:   {release.bundle_sha256}"
            )
        )
