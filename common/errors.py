"""The project's error types.

Services raise these; each surface maps them to HTTP once (DRF problem JSON for the catalog API,
Mattermost's AppError JSON for ``/api/v4``, empty bodies for the Marketplace API).
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error a service raises on purpose. ``code`` is stable and machine-readable."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class InvalidInput(PortalError):
    """The caller sent something we refuse (bad field, bad file)."""

    code = "invalid_input"
    http_status = 400


class NotFound(PortalError):
    code = "not_found"
    http_status = 404


class NotAllowed(PortalError):
    """The actor may not do this (role, ownership, own submission)."""

    code = "not_allowed"
    http_status = 403


class Conflict(PortalError):
    """The request clashes with the current state (already exists, changed meanwhile)."""

    code = "conflict"
    http_status = 409


class InvalidTransition(Conflict):
    """A workflow move that the transition table does not allow from the current state."""

    code = "invalid_transition"


class BundleRejected(InvalidInput):
    """A plugin bundle failed one of the bundle checks. ``check`` names the check."""

    code = "bundle_rejected"

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}", code="bundle_rejected")
        self.check = check
        self.reason = reason


class UpstreamError(PortalError):
    """A remote service (download URL, host server, marketplace) failed or refused."""

    code = "upstream_error"
    http_status = 502
