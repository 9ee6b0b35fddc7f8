"""A host server's Mattermost config: the sections that matter to plugins, and their rules.

Keys and JSON types are Mattermost's (``model.Config``). Patches are merged section by section,
key by key, like ``PUT /api/v4/config/patch``: unknown sections and keys are ignored, known keys
must keep their JSON type. Values the server manages itself (directories, trusted key files) are
read-only through the API.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from hostserver.errors import AppError

DEFAULT_MARKETPLACE_URL = "https://api.integrations.mattermost.com"

#: section -> key -> JSON type. ``dict`` values are free-form maps validated below.
SCHEMA: dict[str, dict[str, type]] = {
    "ServiceSettings": {
        "SiteURL": str,
        "AllowedUntrustedInternalConnections": str,
        "EnableUserAccessTokens": bool,
        "EnableDeveloper": bool,
        "ExperimentalStrictCSRFEnforcement": bool,
        "MaximumPayloadSizeBytes": int,
        "SessionLengthWebInHours": int,
    },
    "FileSettings": {"MaxFileSize": int},
    "PluginSettings": {
        "Enable": bool,
        "EnableUploads": bool,
        "AllowInsecureDownloadURL": bool,
        "EnableHealthCheck": bool,
        "Directory": str,
        "ClientDirectory": str,
        "Plugins": dict,
        "PluginStates": dict,
        "EnableMarketplace": bool,
        "EnableRemoteMarketplace": bool,
        "AutomaticPrepackagedPlugins": bool,
        "RequirePluginSignature": bool,
        "MarketplaceURL": str,
        "SignaturePublicKeyFiles": list,
    },
}

#: Set by the server, not by a patch (Mattermost restricts them too, or derives them).
READ_ONLY = {
    ("PluginSettings", "Directory"),
    ("PluginSettings", "ClientDirectory"),
    ("PluginSettings", "SignaturePublicKeyFiles"),
}

#: Older spellings Mattermost still loads (Go's JSON decoding is case-insensitive).
ALIASES = {
    ("PluginSettings", "AllowInsecureDownloadUrl"): "AllowInsecureDownloadURL",
    ("PluginSettings", "MarketplaceUrl"): "MarketplaceURL",
    ("ServiceSettings", "SiteUrl"): "SiteURL",
}


def portal_loopback_hosts() -> str:
    """The portal's own host, space-separated, for ``AllowedUntrustedInternalConnections``.

    A portal on loopback is reachable as ``localhost``, ``127.0.0.1`` and ``::1`` alike (links
    it generates use whichever its base URL names), so all three are listed then.
    """
    hosts: list[str] = []
    for url in (settings.PORTAL_BASE_URL, settings.HOSTSERVER_BASE_URL):
        host = urlsplit(url).hostname
        names = [host] if host else []
        if host in ("localhost", "127.0.0.1", "::1"):
            names = ["localhost", "127.0.0.1", "::1"]
        hosts.extend(name for name in names if name not in hosts)
    return " ".join(hosts)


def default_config(name: str) -> dict[str, Any]:
    """The embedded default of host server ``name`` (see docs/hostserver.md for deviations)."""
    root = settings.HOSTSERVER_ROOT / name
    return {
        "ServiceSettings": {
            "SiteURL": f"{settings.HOSTSERVER_BASE_URL}/hosts/{name}",
            # The portal (its marketplace and downloads) is on loopback in the embedded setup;
            # Mattermost refuses private addresses unless they are listed here.
            "AllowedUntrustedInternalConnections": portal_loopback_hosts(),
            # Mattermost's default is false; admins of the embedded host use tokens with curl.
            "EnableUserAccessTokens": True,
            "EnableDeveloper": False,
            "ExperimentalStrictCSRFEnforcement": False,
            "MaximumPayloadSizeBytes": 300000,
            "SessionLengthWebInHours": 720,
        },
        "FileSettings": {"MaxFileSize": 104857600},
        "PluginSettings": {
            "Enable": True,
            # Mattermost's default is false; the embedded hosts exist to receive uploads.
            "EnableUploads": True,
            # The portal is plain http on loopback in the embedded setup.
            "AllowInsecureDownloadURL": True,
            "EnableHealthCheck": True,
            "Directory": str(root / "plugins"),
            "ClientDirectory": str(root / "client" / "plugins"),
            "Plugins": {},
            "PluginStates": {},
            "EnableMarketplace": True,
            "EnableRemoteMarketplace": True,
            "AutomaticPrepackagedPlugins": True,
            "RequirePluginSignature": False,
            "MarketplaceURL": settings.PORTAL_BASE_URL,
            "SignaturePublicKeyFiles": [],
        },
    }


def fill_defaults(config: dict[str, Any], name: str) -> dict[str, Any]:
    """``config`` with every missing section/key taken from the defaults (existing values kept)."""
    merged = copy.deepcopy(config)
    for section, values in default_config(name).items():
        target = merged.setdefault(section, {})
        if not isinstance(target, dict):
            merged[section] = target = {}
        for key, value in values.items():
            target.setdefault(key, value)
    return merged


def _invalid(section: str, key: str, why: str) -> AppError:
    return AppError(
        f"model.config.is_valid.{section.lower()}.{key.lower()}.app_error",
        f"Invalid value for {section}.{key}: {why}.",
        400,
    )


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_value(section: str, key: str, value: Any) -> Any:
    expected = SCHEMA[section][key]
    # JSON true is not a number, and a number is not a bool.
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise _invalid(section, key, f"expected {expected.__name__}, got {type(value).__name__}")
    if expected is int and value < 0:
        raise _invalid(section, key, "must not be negative")
    if (section, key) == ("PluginSettings", "MarketplaceURL"):
        if value == "":
            return DEFAULT_MARKETPLACE_URL
        if not _is_http_url(value):
            raise _invalid(section, key, "must be an http(s) URL")
    if (section, key) == ("ServiceSettings", "SiteURL") and value and not _is_http_url(value):
        raise _invalid(section, key, "must be an http(s) URL")
    if (section, key) == ("PluginSettings", "PluginStates"):
        for plugin_id, state in value.items():
            if not isinstance(state, dict) or not isinstance(state.get("Enable", False), bool):
                raise _invalid(section, key, f'{plugin_id} must be {{"Enable": bool}}')
        return {pid.lower(): {"Enable": bool(s.get("Enable", False))} for pid, s in value.items()}
    if (section, key) == ("PluginSettings", "Plugins"):
        for plugin_id, values in value.items():
            if not isinstance(values, dict):
                raise _invalid(section, key, f"{plugin_id} must be an object")
        # Mattermost lower-cases plugin ids and setting keys when it loads them.
        return {
            pid.lower(): {k.lower(): v for k, v in values.items()} for pid, values in value.items()
        }
    return value


def apply_patch(
    config: dict[str, Any], patch: Any, *, replace_maps: bool = False
) -> dict[str, Any]:
    """The config after ``patch``; raises :class:`AppError` (400) on a value of the wrong type.

    Map settings (``PluginStates``, ``Plugins``) are merged per plugin id, as Mattermost's
    config merge does, so patching one plugin's state leaves the others alone;
    ``replace_maps`` (a full ``PUT /config``) replaces them instead.
    """
    if not isinstance(patch, dict):
        raise AppError(
            "api.context.invalid_body_param.app_error",
            "Invalid or missing config in request body.",
            400,
        )
    result = copy.deepcopy(config)
    for section, values in patch.items():
        if section not in SCHEMA or values is None:
            continue  # Unknown sections are ignored, as Mattermost ignores unknown JSON keys.
        if not isinstance(values, dict):
            raise _invalid(section, "section", "expected an object")
        for raw_key, value in values.items():
            key = ALIASES.get((section, raw_key), raw_key)
            if key not in SCHEMA[section] or (section, key) in READ_ONLY or value is None:
                continue
            checked = _check_value(section, key, value)
            target = result.setdefault(section, {})
            current = target.get(key)
            if isinstance(checked, dict) and isinstance(current, dict) and not replace_maps:
                merged = dict(current)
                for name, item in checked.items():
                    old = merged.get(name)
                    # Plugins[id] is itself a map of settings: merged key by key too.
                    both_maps = key == "Plugins" and isinstance(old, dict)
                    merged[name] = {**old, **item} if both_maps and old is not None else item
                checked = merged
            target[key] = checked
    return result


def untrusted_internal_allowlist(config: dict[str, Any]) -> list[str]:
    """``AllowedUntrustedInternalConnections`` as a list (Mattermost splits on whitespace)."""
    raw = config.get("ServiceSettings", {}).get("AllowedUntrustedInternalConnections", "")
    return [part for part in str(raw).replace(",", " ").split() if part]


def plugin_setting(config: dict[str, Any], key: str) -> Any:
    return config.get("PluginSettings", {}).get(key)
