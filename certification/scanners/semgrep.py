"""semgrep with the portal's own rules, fully offline."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404  # external tools run with argument lists only
import tempfile
from pathlib import Path

from certification.scanners.base import (
    FindingData,
    ScannerError,
    ScanResult,
    find_tool,
    snippet_of,
)

RULES_DIR = Path(__file__).resolve().parent / "rules"
TIMEOUT = 600
SEVERITY = {"ERROR": ("high", True), "WARNING": ("medium", False), "INFO": ("low", False)}
#: Written at the scan root so semgrep's default ignore list (tests/, vendor/, build/, *.min.js)
#: does not silently skip code: we scan everything except VCS and dependency folders.
SEMGREPIGNORE = ".git/\nnode_modules/\n"


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def run(root: Path, *, timeout: float = TIMEOUT) -> ScanResult:
    """Scan ``root``, a throw-away copy: the submitter's own ``.semgrepignore`` files are
    replaced by ours, so a plugin cannot hide code from the scan."""
    for found in root.rglob(".semgrepignore"):
        found.unlink()
    (root / ".semgrepignore").write_text(SEMGREPIGNORE)
    try:
        return _run(root, timeout=timeout)
    finally:
        (root / ".semgrepignore").unlink(missing_ok=True)


def _run(root: Path, *, timeout: float) -> ScanResult:
    exe = find_tool("semgrep")
    cmd = [exe, "scan", "--metrics=off", "--disable-version-check", "--no-git-ignore", "--json"]
    # "// nosemgrep" comments in the submitted code must not silence our rules.
    cmd.append("--disable-nosem")
    cmd += ["--quiet", "--timeout", "60", "--max-target-bytes", "5000000"]
    for rules in rule_files():
        cmd += ["--config", str(rules)]
    cmd.append(".")
    env = {
        **os.environ,
        "SEMGREP_ENABLE_VERSION_CHECK": "0",
        "SEMGREP_SEND_METRICS": "off",
    }
    with tempfile.TemporaryDirectory(prefix="semgrep-home-") as home:
        env["HOME"] = home  # semgrep writes settings/logs under ~/.semgrep
        try:
            proc = subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
                cmd, cwd=root, capture_output=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ScannerError(f"semgrep did not finish within {timeout:.0f} s") from exc
        except OSError as exc:
            raise ScannerError(f"semgrep could not start: {exc}") from exc
    # semgrep exits 0 (no findings) or 1 (findings); anything else is a failure.
    if proc.returncode not in (0, 1):
        tail = proc.stderr.decode(errors="replace").strip()[-800:]
        raise ScannerError(f"semgrep exited with {proc.returncode}: {tail}")
    try:
        report = json.loads(proc.stdout)
        results = report["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ScannerError(f"semgrep output is not the expected JSON: {exc}") from exc
    errors = [e for e in report.get("errors", []) if e.get("level") == "error"]
    fatal = [e for e in errors if e.get("type") not in ("Syntax error", "Lexical error")]
    if fatal:
        raise ScannerError("semgrep reported errors: " + "; ".join(_err(e) for e in fatal[:5]))
    findings = [_finding(root, r) for r in results]
    stats = {
        "files": len(report.get("paths", {}).get("scanned", [])),
        "parse_errors": [_err(e) for e in errors if e not in fatal][:20],
    }
    return ScanResult(tool="semgrep", findings=findings, stats=stats)


def _err(error: dict) -> str:
    where = error.get("path") or ""
    return f"{error.get('type', 'error')} {where}: {str(error.get('message', ''))[:200]}".strip()


def _finding(root: Path, result: dict) -> FindingData:
    extra = result.get("extra", {})
    severity, blocking = SEVERITY.get(str(extra.get("severity", "")).upper(), ("medium", False))
    start, end = result.get("start", {}), result.get("end", {})
    rel = str(result.get("path", ""))
    return FindingData(
        tool="semgrep",
        # Config-path prefixes ("certification.scanners.rules.go-sql...") are noise.
        rule_id=str(result.get("check_id", "")).rsplit(".", 1)[-1],
        severity=severity,
        file=rel,
        line=start.get("line"),
        message=" ".join(str(extra.get("message", "")).split()),
        snippet=snippet_of(root, rel, start.get("offset"), end.get("offset")),
        blocking=blocking,
    )
