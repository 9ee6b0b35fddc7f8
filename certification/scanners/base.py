"""What every scanner returns, and how a scanner failure is reported."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: A snippet longer than this is cut (findings are shown in lists).
MAX_SNIPPET = 2000


class ScannerError(Exception):
    """The scanner itself failed (missing binary, bad exit, unparsable output).

    Never turned into "no findings": the scan run is marked failed with this message.
    """


@dataclass
class FindingData:
    tool: str
    rule_id: str
    severity: str  # info | low | medium | high | critical
    file: str
    line: int | None
    message: str
    snippet: str = ""
    blocking: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScanResult:
    tool: str
    findings: list[FindingData] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def find_tool(name: str) -> str:
    """A scanner's executable: ``settings.CERTIFICATION_SCANNER_PATHS[name]`` if set, else
    next to the running Python (the venv), else PATH."""
    from django.conf import settings

    configured = getattr(settings, "CERTIFICATION_SCANNER_PATHS", {}).get(name)
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise ScannerError(f"{name} is not installed at {configured}")
        return str(configured)
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ScannerError(f"{name} is not installed (looked beside {sys.executable} and in PATH)")
    return found


def snippet_of(root: Path, rel: str, start: int | None, end: int | None) -> str:
    """Cut a snippet from the file by byte offsets (OSS semgrep does not return lines)."""
    if start is None or end is None:
        return ""
    try:
        data = (root / rel).read_bytes()
    except OSError:
        return ""
    # Whole lines around the match read better than a fragment.
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    text = data[line_start : line_end if line_end != -1 else len(data)]
    return text.decode("utf-8", errors="replace")[:MAX_SNIPPET]
