"""Run the release-review scanners over a plugin source folder or archive, locally."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification import scanners, sources
from certification.scanners import ScannerError, ScanResult


class Command(BaseCommand):
    help = (
        "Scan a plugin's source (folder, .tar.gz or .zip) with the portal's own semgrep rules, "
        "bandit, the licence check and the manifest checks; the same findings the release "
        "review shows. Exit status 1 when a blocking finding or a scanner failure is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--licence", default="", help="declared SPDX id for the licence check")
        parser.add_argument(
            "--tool", action="append", choices=list(scanners.TOOLS), help="run only these"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        tools = tuple(options["tool"] or scanners.TOOLS)
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        # Scan a copy in the portal's normal form, exactly as the release review does.
        if path.is_dir():
            normal = sources.normalise_tree(path)
        else:
            normal = sources.normalise_upload(path.read_bytes(), path.name)
        with tempfile.TemporaryDirectory(prefix="scan-source-") as tmp:
            root = Path(tmp)
            sources.extract_to(normal.data, root)
            results = scanners.scan_tree(root, declared_licence=options["licence"], tools=tools)
        failed = [r for r in results if isinstance(r, ScannerError)]
        done = [r for r in results if isinstance(r, ScanResult)]
        findings = [f for r in done for f in r.findings]
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "findings": [f.as_dict() for f in findings],
                        "scanners": [{"tool": r.tool, "stats": r.stats} for r in done],
                        "errors": [
                            {"tool": getattr(e, "tool", ""), "error": str(e)} for e in failed
                        ],
                    },
                    indent=2,
                )
            )
        else:
            for f in findings:
                where = f"{f.file}:{f.line}" if f.line else f.file
                flag = "BLOCKING " if f.blocking else ""
                self.stdout.write(f"{where}: {flag}{f.severity} [{f.tool}:{f.rule_id}] {f.message}")
            for e in failed:
                self.stderr.write(f"scanner {getattr(e, 'tool', '?')} FAILED: {e}")
            blocking = sum(1 for f in findings if f.blocking)
            self.stdout.write(
                f"{len(findings)} finding(s), {blocking} blocking; "
                f"{len(done)} scanner(s) ran, {len(failed)} failed."
            )
        if failed or any(f.blocking for f in findings):
            raise SystemExit(1)
