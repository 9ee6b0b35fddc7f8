"""Manifest checks beyond validity: what reviewers and the community server rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from certification.scanners.base import FindingData, ScanResult
from common.versions import is_valid_version

MANIFEST_FILES = ("plugin.json", "plugin.yaml", "plugin.yml")


def _f(rule: str, severity: str, message: str, *, blocking: bool = False) -> FindingData:
    return FindingData(
        tool="manifest",
        rule_id=rule,
        severity=severity,
        file="plugin.json",
        line=None,
        message=message,
        blocking=blocking,
    )


def run(root: Path | None, *, manifest: dict[str, Any]) -> ScanResult:
    """Check the bundle's manifest, and that the source's manifest describes the same plugin."""
    out: list[FindingData] = []
    plugin_id = str(manifest.get("id", ""))
    version = str(manifest.get("version", ""))
    if not version or not is_valid_version(version):
        out.append(
            _f("version-invalid", "high", f"version {version!r} is not semver", blocking=True)
        )
    msv = manifest.get("min_server_version")
    if not msv:
        out.append(
            _f(
                "min-server-version-missing",
                "medium",
                "min_server_version is not set: servers too old for the plugin will install it",
            )
        )
    elif not is_valid_version(str(msv)):
        out.append(
            _f(
                "min-server-version-invalid",
                "high",
                f"min_server_version {msv!r} is not semver",
                blocking=True,
            )
        )
    for key, label in (("support_url", "support URL"), ("homepage_url", "homepage URL")):
        url = str(manifest.get(key) or "")
        if not url:
            out.append(_f(f"{key.replace('_', '-')}-missing", "low", f"no {label} ({key})"))
        elif not url.startswith("https://"):
            out.append(
                _f(f"{key.replace('_', '-')}-not-https", "low", f"{key} is not https: {url}")
            )
    if not manifest.get("description"):
        out.append(_f("description-missing", "low", "no description for the catalog"))
    if not manifest.get("server") and not manifest.get("webapp"):
        out.append(
            _f(
                "no-components",
                "high",
                "the manifest declares neither server nor webapp",
                blocking=True,
            )
        )
    if root is not None:
        out.extend(_compare_source(root, plugin_id, version))
    return ScanResult(tool="manifest", findings=out, stats={"id": plugin_id, "version": version})


def _compare_source(root: Path, plugin_id: str, version: str) -> list[FindingData]:
    path = next((root / n for n in MANIFEST_FILES if (root / n).is_file()), None)
    if path is None:
        return [_f("source-manifest-missing", "medium", "the source has no plugin.json at its top")]
    try:
        if path.suffix == ".json":
            source = json.loads(path.read_text(encoding="utf-8"))
        else:
            import yaml

            source = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return [_f("source-manifest-unreadable", "high", f"{path.name}: {exc}", blocking=True)]
    if not isinstance(source, dict):
        return [
            _f("source-manifest-unreadable", "high", f"{path.name} is not an object", blocking=True)
        ]
    out = []
    if str(source.get("id", "")).lower() != plugin_id.lower():
        out.append(
            _f(
                "source-id-mismatch",
                "high",
                f"the source's manifest id {source.get('id')!r} is not the bundle's {plugin_id!r}:"
                " the source does not belong to this bundle",
                blocking=True,
            )
        )
    if source.get("version") and str(source.get("version")) != version:
        out.append(
            _f(
                "source-version-mismatch",
                "medium",
                f"the source's manifest says version {source.get('version')}, the bundle {version}",
            )
        )
    return out
