"""The admin pages' link to host servers: a Mattermost API session per host, per admin.

Admin pages drive host servers only through their Mattermost REST API, as a System Console
would, with ``common.mattermost.MattermostClient``. The admin connects to a host once per portal
session by confirming their password: the portal logs in to the host's
``POST /api/v4/users/login`` with it (the password is never stored) and keeps the host's session
token in the admin's server-side Django session. Logging out of the portal drops it. The same
works against a real Mattermost server by URL, where the portal holds no other credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest

from common.mattermost import MattermostAPIError, MattermostClient

SESSION_KEY = "frontend_host_tokens"

STATE_NAMES = {
    0: "Not running",
    1: "Starting",
    2: "Running",
    3: "Failed to start",
    4: "Failed to stay running",
    5: "Stopping",
}
STATE_BADGES = {0: "", 1: "info", 2: "ok", 3: "bad", 4: "bad", 5: "warn"}


class NotConnected(Exception):
    """The admin has no (or an expired) session on this host server."""


def host_base_url(name: str) -> str:
    return f"{settings.HOSTSERVER_BASE_URL}/hosts/{name}"


def connect(request: HttpRequest, *, name: str, login_id: str, password: str) -> None:
    """Log in to host ``name`` as the admin; raises ``MattermostAPIError`` on refusal."""
    client = MattermostClient.login(host_base_url(name), login_id, password, timeout=30)
    try:
        tokens = dict(request.session.get(SESSION_KEY, {}))
        tokens[name] = client.token
        request.session[SESSION_KEY] = tokens
    finally:
        client.close()


def disconnect(request: HttpRequest, *, name: str) -> None:
    tokens = dict(request.session.get(SESSION_KEY, {}))
    tokens.pop(name, None)
    request.session[SESSION_KEY] = tokens


def is_connected(request: HttpRequest, name: str) -> bool:
    return bool(request.session.get(SESSION_KEY, {}).get(name))


@contextmanager
def client_for(
    request: HttpRequest, name: str, *, timeout: float = 60
) -> Iterator[MattermostClient]:
    """A client with the admin's session on host ``name``; ``NotConnected`` if there is none.

    A 401 from the host (session expired or revoked) forgets the token and raises
    ``NotConnected`` so the page can ask to connect again.
    """
    token = request.session.get(SESSION_KEY, {}).get(name)
    if not token:
        raise NotConnected(name)
    client = MattermostClient(host_base_url(name), token, timeout=timeout)
    try:
        yield client
    except MattermostAPIError as exc:
        if exc.status_code == 401:
            disconnect(request, name=name)
            raise NotConnected(name) from exc
        raise
    finally:
        client.close()
