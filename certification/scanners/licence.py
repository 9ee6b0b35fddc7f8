"""Licence check: the LICENSE file's text against the declared SPDX id."""

from __future__ import annotations

from pathlib import Path

from certification import licences
from certification.scanners.base import FindingData, ScanResult

LICENCE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "COPYING")


def run(root: Path, *, declared: str) -> ScanResult:
    found = next((root / n for n in LICENCE_FILES if (root / n).is_file()), None)
    result = ScanResult(tool="licence", stats={"declared": declared})
    if found is None:
        result.findings.append(
            FindingData(
                tool="licence",
                rule_id="licence-file-missing",
                severity="high",
                file="LICENSE",
                line=None,
                message=f"No LICENSE file at the top of the source; {declared} was declared.",
                blocking=True,
            )
        )
        return result
    text = found.read_text(encoding="utf-8", errors="replace")
    rel = found.relative_to(root).as_posix()
    result.stats["file"] = rel
    matches = licences.identify(text)
    result.stats["identified"] = matches
    if licences.text_matches(declared, text) and (not matches or declared in matches):
        pass
    elif matches:
        result.findings.append(
            FindingData(
                tool="licence",
                rule_id="licence-mismatch",
                severity="high",
                file=rel,
                line=1,
                message=f"{rel} reads like {', '.join(matches)}, but {declared} was declared.",
                snippet=text[:300],
                blocking=True,
            )
        )
    else:
        result.findings.append(
            FindingData(
                tool="licence",
                rule_id="licence-unrecognised",
                severity="medium",
                file=rel,
                line=1,
                message=f"{rel} is not recognisably {declared}; a reviewer must read it.",
                snippet=text[:300],
                blocking=False,
            )
        )
    lic = licences.licence_get(declared)
    if lic is not None and not lic.recommended:
        result.findings.append(
            FindingData(
                tool="licence",
                rule_id="licence-not-recommended",
                severity="info",
                file=rel,
                line=None,
                message=f"{declared} is accepted but not one of the recommended licences.",
            )
        )
    return result
