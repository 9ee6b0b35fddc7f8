"""Mattermost's ``AppError``: the one error type of the host server's v4 API.

Services raise :class:`AppError` with Mattermost's own i18n id and HTTP status (they emulate
Mattermost's app layer, whose errors carry both); :mod:`hostserver.api.base` turns it, and every
other exception, into the JSON body Mattermost clients parse.
"""

from __future__ import annotations

from common.errors import PortalError


class AppError(PortalError):
    """An error with a Mattermost id (``app.plugin.install_id.app_error``) and HTTP status."""

    def __init__(self, error_id: str, message: str, status: int, *, detail: str = "") -> None:
        super().__init__(message, code=error_id, detail=detail)
        self.error_id = error_id
        self.http_status = status


# Mattermost's ids, with the English text of its translations (en.json), for the errors raised
# in more than one place.
def plugins_disabled() -> AppError:
    return AppError(
        "app.plugin.disabled.app_error",
        "Plugins have been disabled. Please check your logs for details.",
        501,
    )


def uploads_disabled() -> AppError:
    return AppError(
        "app.plugin.upload_disabled.app_error",
        "Plugins and/or plugin uploads have been disabled.",
        501,
    )


def marketplace_disabled() -> AppError:
    return AppError(
        "app.plugin.marketplace_disabled.app_error",
        "Marketplace has been disabled. Please check your logs for details.",
        501,
    )


def not_installed(plugin_id: str) -> AppError:
    return AppError(
        "app.plugin.not_installed.app_error",
        "Plugin is not installed.",
        404,
        detail=f"plugin_id={plugin_id}",
    )


def session_expired(detail: str = "") -> AppError:
    return AppError(
        "api.context.session_expired.app_error",
        "Invalid or expired session, please login again.",
        401,
        detail=detail,
    )


def permissions(permission: str) -> AppError:
    return AppError(
        "api.context.permissions.app_error",
        "You do not have the appropriate permissions.",
        403,
        detail=f"permission={permission}",
    )


def invalid_url_param(name: str) -> AppError:
    return AppError(
        "api.context.invalid_url_param.app_error",
        f"Invalid or missing {name} parameter in request URL.",
        400,
    )


def invalid_body_param(name: str, detail: str = "") -> AppError:
    return AppError(
        "api.context.invalid_body_param.app_error",
        f"Invalid or missing {name} in request body.",
        400,
        detail=detail,
    )


def body_too_large(limit: int) -> AppError:
    return AppError(
        "api.context.request_body_too_large.app_error",
        "The request body is too large.",
        413,
        detail=f"limit={limit} bytes",
    )


def not_found_route() -> AppError:
    return AppError("api.context.404.app_error", "Sorry, we could not find the page.", 404)
