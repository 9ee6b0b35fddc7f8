"""The labels the Marketplace attaches to entries (spec section 5), in their fixed order."""

from __future__ import annotations

from typing import Any

PARTNER = {
    "name": "Partner",
    "description": "This plugin is maintained by a Mattermost Partner.",
    "url": "https://mattermost.com/pl/default-partner-plugins",
    "color": "",
}
COMMUNITY = {
    "name": "Community",
    "description": "This plugin is maintained by the Open Source Community.",
    "url": "https://mattermost.com/pl/default-community-plugins",
    "color": "",
}
BETA = {
    "name": "Beta",
    "description": "This plugin is currently in Beta and is not recommended for use in production.",
    "url": "https://mattermost.com/pl/default-beta-plugins",
    "color": "",
}
EXPERIMENTAL = {
    "name": "Experimental",
    "description": "This plugin is marked as experimental and not meant for production use. "
    "Please use with caution.",
    "url": "https://mattermost.com/pl/default-experimental-plugins",
    "color": "",
}
ENTERPRISE = {
    "name": "Professional/Enterprise",
    "description": "This plugin requires a Professional or Enterprise subscription.",
    "url": "https://mattermost.com/pricing/",
    "color": "",
}

#: ``GET /api/v1/labels``: every label the service can attach, in this order.
ALL_LABELS: tuple[dict[str, str], ...] = (PARTNER, COMMUNITY, BETA, EXPERIMENTAL, ENTERPRISE)
LABEL_NAMES: tuple[str, ...] = tuple(label["name"] for label in ALL_LABELS)

_BY_AUTHOR = {"partner": PARTNER, "community": COMMUNITY}
_BY_STAGE = {"beta": BETA, "experimental": EXPERIMENTAL}


def computed_labels(
    *, author_type: str, release_stage: str, enterprise: bool
) -> list[dict[str, Any]]:
    """Labels derived from an entry's fields; none for ``mattermost``/``production``."""
    labels: list[dict[str, Any]] = []
    if author_type in _BY_AUTHOR:
        labels.append(dict(_BY_AUTHOR[author_type]))
    if release_stage in _BY_STAGE:
        labels.append(dict(_BY_STAGE[release_stage]))
    if enterprise:
        labels.append(dict(ENTERPRISE))
    return labels
