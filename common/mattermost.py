"""The one client through which the portal talks to a Mattermost(-compatible) server over HTTP.

Works the same against the embedded host servers (``<portal>/hosts/NAME``) and a real Mattermost
server: it only uses the public REST API v4, through ``mattermostautodriver`` (a driver generated
from Mattermost's OpenAPI spec). Every failure comes out as ``MattermostAPIError`` (the server
answered with an error) or ``UpstreamError`` (it could not be reached).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from mattermostautodriver import TypedDriver
from mattermostautodriver.client import Client
from mattermostautodriver.exceptions import InvalidMattermostError, MattermostError

from common.errors import UpstreamError

#: ``PluginStatus.state`` values (Mattermost's ``model.PluginState*``).
STATE_NOT_RUNNING = 0
STATE_STARTING = 1
STATE_RUNNING = 2
STATE_FAILED_TO_START = 3
STATE_FAILED_TO_STAY_RUNNING = 4
STATE_STOPPING = 5
SETTLED_STATES = frozenset({STATE_RUNNING, STATE_FAILED_TO_START, STATE_FAILED_TO_STAY_RUNNING})


class MattermostAPIError(UpstreamError):
    """The server answered with an error: its HTTP status and AppError ``id`` and ``message``."""

    code = "mattermost_api_error"

    def __init__(
        self, *, status_code: int, error_id: str, message: str, request_id: str = ""
    ) -> None:
        super().__init__(message or f"HTTP {status_code}", detail=error_id)
        self.status_code = status_code
        self.error_id = error_id
        self.request_id = request_id

    def __str__(self) -> str:
        label = f" {self.error_id}" if self.error_id else ""
        return f"Mattermost API error {self.status_code}{label}: {self.message}"


class _BaseURLClient(Client):
    """The driver's client builds ``scheme://host:port``; we need a base URL with a subpath
    (``/hosts/NAME``) as Mattermost's own ``SiteURL`` allows, so the base is given whole."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self._url = options["base_url"]


class MattermostClient:
    def __init__(  # nosec B107  # "" means "no token yet" (login() sets one), not a password
        self,
        base_url: str,
        token: str = "",
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = httpx.URL(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self._driver = TypedDriver(
            {
                "base_url": self.base_url,
                "scheme": parsed.scheme,
                "url": parsed.host,
                "port": parsed.port or (443 if parsed.scheme == "https" else 80),
                "token": token,
                "request_timeout": timeout,
                "transport": transport,
                # Uploads are not replayable anyway; idempotent reads may retry twice.
                "max_retries": 2,
                "retry_max_sleep": 5,
            },
            client_cls=_BaseURLClient,
        )
        self._driver.client.token = token

    # --- session --------------------------------------------------------------------------
    @classmethod
    def login(
        cls, base_url: str, login_id: str, password: str, *, timeout: float = 60.0
    ) -> MattermostClient:
        """Log in with a user's credentials; the session token comes back in ``Token``."""
        client = cls(base_url, timeout=timeout)
        with client._errors("log in"):
            response = client._driver.client.make_request(
                "post", "/api/v4/users/login", {"login_id": login_id, "password": password}
            )
        token = response.headers.get("Token", "")
        if not token:
            raise MattermostAPIError(
                status_code=response.status_code,
                error_id="",
                message="the server accepted the login but sent no Token header",
            )
        client._driver.client.token = token
        return client

    @property
    def token(self) -> str:
        return str(self._driver.client.token)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> MattermostClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ping(self) -> dict[str, Any]:
        with self._errors("ping"):
            return self._json(self._driver.system.get_ping())

    def me(self) -> dict[str, Any]:
        with self._errors("read the current user"):
            return self._json(self._driver.users.get_user("me"))

    def get_config(self) -> dict[str, Any]:
        with self._errors("read the config"):
            return self._json(self._driver.system.get_config())

    def patch_config(self, patch: dict[str, Any]) -> dict[str, Any]:
        with self._errors("patch the config"):
            return self._json(self._driver.system.patch_config(options=patch))

    # --- plugins --------------------------------------------------------------------------
    def upload_plugin(self, bundle: Path | bytes, *, force: bool = False) -> dict[str, Any]:
        """``POST /plugins`` (multipart ``plugin``, ``force``): the installed manifest."""
        force_field = "true" if force else None
        with self._errors("upload the plugin"):
            if isinstance(bundle, bytes):
                result = self._driver.plugins.upload_plugin(
                    plugin=("plugin.tar.gz", bundle, "application/gzip"), force=force_field
                )
            else:
                with Path(bundle).open("rb") as handle:
                    result = self._driver.plugins.upload_plugin(
                        plugin=("plugin.tar.gz", handle, "application/gzip"), force=force_field
                    )
        return self._json(result)

    def install_from_url(self, url: str, *, force: bool = False) -> dict[str, Any]:
        with self._errors("install the plugin from a URL"):
            return self._json(
                self._driver.plugins.install_plugin_from_url(
                    plugin_download_url=url, force="true" if force else None
                )
            )

    def install_marketplace_plugin(self, plugin_id: str) -> dict[str, Any]:
        """Install the latest compatible release (Mattermost ignores a version here)."""
        with self._errors("install the plugin from the marketplace"):
            return self._json(
                self._driver.plugins.install_marketplace_plugin(options={"id": plugin_id})
            )

    def enable_plugin(self, plugin_id: str) -> None:
        with self._errors(f"enable {plugin_id}"):
            self._driver.plugins.enable_plugin(plugin_id)

    def disable_plugin(self, plugin_id: str) -> None:
        with self._errors(f"disable {plugin_id}"):
            self._driver.plugins.disable_plugin(plugin_id)

    def remove_plugin(self, plugin_id: str) -> None:
        with self._errors(f"remove {plugin_id}"):
            self._driver.plugins.remove_plugin(plugin_id)

    def get_plugins(self) -> dict[str, Any]:
        """``{"active": [manifest...], "inactive": [manifest...]}``."""
        with self._errors("list plugins"):
            return self._json(self._driver.plugins.get_plugins())

    def get_plugin_statuses(self) -> list[dict[str, Any]]:
        with self._errors("read plugin statuses"):
            return self._json_list(self._driver.plugins.get_plugin_statuses())

    def get_plugin_status(self, plugin_id: str) -> dict[str, Any] | None:
        wanted = plugin_id.lower()
        for status in self.get_plugin_statuses():
            if str(status.get("plugin_id", "")).lower() == wanted:
                return status
        return None

    def get_webapp_plugins(self) -> list[dict[str, Any]]:
        with self._errors("list webapp plugins"):
            return self._json_list(self._driver.plugins.get_webapp_plugins())

    def get_marketplace_plugins(self, **params: Any) -> list[dict[str, Any]]:
        """``GET /plugins/marketplace`` with ``page``, ``per_page``, ``filter``, ``local_only``."""
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        with self._errors("list marketplace plugins"):
            # Not the generated method: it knows only five of the parameters the server reads
            # (remote_only, for one, is missing).
            result = self._driver.client.get("/api/v4/plugins/marketplace", params=query)
        return self._json_list(result)

    def wait_for_plugin_state(
        self, plugin_id: str, *, timeout: float, poll: float = 0.25
    ) -> dict[str, Any]:
        """Poll ``statuses`` until the plugin is Running or has failed (to start or stay up).

        Activation happens after ``enable`` returns (as in Mattermost), so a caller that just
        enabled a plugin waits here. Raises ``UpstreamError`` when it does not settle in time.
        """
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            last = self.get_plugin_status(plugin_id)
            if last is not None and last.get("state") in SETTLED_STATES:
                return last
            if time.monotonic() >= deadline:
                shown = "not installed" if last is None else f"state {last.get('state')}"
                raise UpstreamError(
                    f"plugin {plugin_id} did not start within {timeout:g}s ({shown})",
                    code="plugin_start_timeout",
                )
            time.sleep(poll)

    # --- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except MattermostError as exc:
            raise MattermostAPIError(
                status_code=int(exc.status_code),
                error_id=exc.error_id or "",
                message=str(exc),
                request_id=exc.request_id or "",
            ) from exc
        except InvalidMattermostError as exc:
            # An error whose body is not an AppError (a proxy's HTML page, an old server).
            raise MattermostAPIError(
                status_code=exc.status_code, error_id="", message=str(exc)[:500]
            ) from exc
        except ValueError as exc:
            # A success status whose body is not JSON (``post``/``delete`` decode blindly).
            raise MattermostAPIError(
                status_code=200, error_id="", message=f"response is not JSON: {exc}"
            ) from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not {action} on {self.base_url}: {exc.__class__.__name__}: {exc}"
            ) from exc

    def _json(self, result: Any) -> Any:
        if isinstance(result, httpx.Response):
            # The driver hands back the raw response when it is not application/json.
            raise MattermostAPIError(
                status_code=result.status_code,
                error_id="",
                message=(
                    f"expected JSON from {result.request.url.path}, got "
                    f"{result.headers.get('Content-Type', 'no content type')}"
                ),
            )
        return result

    def _json_list(self, result: Any) -> list[dict[str, Any]]:
        data = self._json(result)
        if data is None:
            return []
        if not isinstance(data, list):
            raise MattermostAPIError(
                status_code=200, error_id="", message=f"expected a JSON array, got {type(data)}"
            )
        return data


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
