"""bandit on any Python in the plugin's source."""

from __future__ import annotations

import json
import subprocess  # nosec B404  # external tools run with argument lists only
import tempfile
from pathlib import Path

from certification.scanners.base import FindingData, ScannerError, ScanResult, find_tool

TIMEOUT = 600
SEVERITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}


def has_python(root: Path) -> bool:
    return any(p.is_file() for p in root.rglob("*.py") if ".git" not in p.parts)


def run(root: Path, *, timeout: float = TIMEOUT) -> ScanResult:
    if not has_python(root):
        return ScanResult(tool="bandit", stats={"files": 0, "skipped": "no Python files"})
    exe = find_tool("bandit")
    # The submitter's own bandit settings must not switch checks off (root is a throw-away copy).
    for found in root.rglob(".bandit"):
        found.unlink()
    with tempfile.TemporaryDirectory(prefix="bandit-") as tmp:
        out = Path(tmp) / "report.json"
        # --ignore-nosec: suppression comments in the submitted code do not silence findings.
        cmd = [exe, "-r", ".", "-f", "json", "-q", "--ignore-nosec", "-o", str(out)]
        try:
            proc = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
                cmd, cwd=root, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ScannerError(f"bandit did not finish within {timeout:.0f} s") from exc
        except OSError as exc:
            raise ScannerError(f"bandit could not start: {exc}") from exc
        # bandit exits 0 (clean) or 1 (issues found); anything else is a failure.
        if proc.returncode not in (0, 1):
            tail = (proc.stderr or proc.stdout).decode(errors="replace").strip()[-800:]
            raise ScannerError(f"bandit exited with {proc.returncode}: {tail}")
        try:
            report = json.loads(out.read_text())
            results = report["results"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ScannerError(f"bandit output is not the expected JSON: {exc}") from exc
    findings = []
    for r in results:
        severity = SEVERITY.get(str(r.get("issue_severity", "")).upper(), "medium")
        confident = str(r.get("issue_confidence", "")).upper() in ("MEDIUM", "HIGH")
        rel = str(r.get("filename", "")).removeprefix("./")
        findings.append(
            FindingData(
                tool="bandit",
                rule_id=f"{r.get('test_id', '')}:{r.get('test_name', '')}",
                severity=severity,
                file=rel,
                line=r.get("line_number"),
                message=str(r.get("issue_text", "")),
                snippet=str(r.get("code", ""))[:2000],
                blocking=severity == "high" and confident,
            )
        )
    # Files bandit could not parse are reported, not silently dropped.
    for err in report.get("errors", []):
        findings.append(
            FindingData(
                tool="bandit",
                rule_id="parse-error",
                severity="low",
                file=str(err.get("filename", "")).removeprefix("./"),
                line=None,
                message=f"bandit could not analyse this file: {err.get('reason', '')}",
            )
        )
    stats = {"files": len(report.get("metrics", {})) - 1 if report.get("metrics") else 0}
    return ScanResult(tool="bandit", findings=findings, stats=stats)
