"""Security and quality scanners run over a plugin's source in the release review.

Each scanner is a function ``run(root, ...) -> ScanResult`` that raises ``ScannerError`` when
the scanner itself fails; ``scan_tree`` runs them all for ``manage.py scan_source``.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from certification.scanners import bandit, licence, manifest, semgrep
from certification.scanners.base import FindingData, ScannerError, ScanResult

__all__ = ["FindingData", "ScanResult", "ScannerError", "run_tool", "scan_tree"]

TOOLS = ("semgrep", "bandit", "licence", "manifest")


def run_tool(
    tool: str, root: Path, *, declared_licence: str, manifest_data: dict[str, Any] | None
) -> ScanResult:
    if tool == "semgrep":
        return semgrep.run(root)
    if tool == "bandit":
        return bandit.run(root)
    if tool == "licence":
        return licence.run(root, declared=declared_licence)
    if tool == "manifest":
        return manifest.run(root, manifest=manifest_data or source_manifest(root))
    raise ScannerError(f"unknown scanner {tool!r}")


def source_manifest(root: Path) -> dict[str, Any]:
    """The source tree's own plugin.json (what ``scan_source`` checks locally)."""
    path = root / "plugin.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def scan_tree(
    root: Path, *, declared_licence: str | None = None, tools: tuple[str, ...] = TOOLS
) -> list[ScanResult | ScannerError]:
    """Run every scanner over a folder, concurrently (they are separate processes); a failed
    scanner is returned as its error, in the order of ``tools``."""
    data = source_manifest(root)
    wanted = [
        t
        for t in tools
        if not (t == "licence" and not declared_licence) and not (t == "manifest" and not data)
    ]

    def one(tool: str) -> ScanResult | ScannerError:
        try:
            return run_tool(tool, root, declared_licence=declared_licence or "", manifest_data=data)
        except ScannerError as exc:
            exc.tool = tool  # type: ignore[attr-defined]
            return exc

    with ThreadPoolExecutor(max_workers=max(len(wanted), 1)) as pool:
        return list(pool.map(one, wanted))
