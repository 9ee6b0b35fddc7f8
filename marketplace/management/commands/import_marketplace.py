"""``manage.py import_marketplace PATH``: import a Mattermost plugins.json into the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from common.errors import InvalidInput
from marketplace.services import catalog_import_file


class Command(BaseCommand):
    help = "Import a Mattermost Marketplace plugins.json (idempotent; keeps every field)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a plugins.json file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, path: Path, no_progress: bool, **options: Any) -> None:
        def progress(items: Iterable[Any], total: int, desc: str) -> Iterable[Any]:
            return tqdm(items, total=total, desc=desc, unit="entry", disable=no_progress)

        try:
            report = catalog_import_file(path=path, progress=progress)
        except InvalidInput as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line in report.duplicates:
            self.stdout.write(self.style.WARNING(f"duplicate: {line}"))
        for line in report.refused:
            self.stderr.write(self.style.ERROR(line))
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {report.total} entries, {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged, "
                f"{len(report.refused)} refused, {len(report.duplicates)} duplicates "
                f"(later kept); {report.plugins_created} new plugins"
            )
        )
