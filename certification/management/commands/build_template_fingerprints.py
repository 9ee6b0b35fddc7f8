"""Build starter-template fingerprints from a template checkout, folder or archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification.fingerprints import build_fingerprints
from common.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Fingerprint the Mattermost plugin starter template (a git checkout: every version of "
        "every file in its history; or a folder/.tar.gz/.zip: the files as they are) for the "
        "basic review. Writes settings.STARTER_TEMPLATE_FINGERPRINTS unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--output", type=Path, default=None)
        parser.add_argument("--label", default="", help="what the fingerprints were built from")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"] or Path(settings.STARTER_TEMPLATE_FINGERPRINTS)
        try:
            data = build_fingerprints(options["path"], label=options["label"])
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_suffix(output.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
        tmp.replace(output)
        self.stdout.write(f"{len(data['files'])} paths fingerprinted into {output}")
