"""Fixtures of the host server API tests: a fresh host, portal users, tokens, real bundles."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from common.bundle.build import build_bundle
from common.roles import PORTAL_ADMINS
from hostserver.models import HostServer
from hostserver.services import host_create, session_login

PASSWORD = "correct horse battery staple"


@pytest.fixture
def isolated_roots(settings, tmp_path):
    settings.HOSTSERVER_ROOT = tmp_path / "hosts"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def host(db, isolated_roots) -> HostServer:
    return host_create(name="test-host")


@pytest.fixture
def admin_user(db) -> User:
    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=PORTAL_ADMINS)[0])
    return user


@pytest.fixture
def plain_user(db) -> User:
    return User.objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def admin_token(host, admin_user) -> str:
    return session_login(host=host, login_id="alice", password=PASSWORD)[1]


@pytest.fixture
def user_token(host, plain_user) -> str:
    return session_login(host=host, login_id="bob", password=PASSWORD)[1]


class Api:
    """Django's test client bound to one host's ``/api/v4`` with an optional token."""

    def __init__(self, host: HostServer, token: str | None = None) -> None:
        self.client = Client()
        self.base = f"/hosts/{host.name}/api/v4"
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"BEARER {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.get(self.base + path, headers=self._headers(headers), **kwargs)

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(self.base + path, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = b"" if body is None else json.dumps(body)
        return self.client.post(
            self.base + path,
            data,
            content_type="application/json",
            headers=self._headers(headers),
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(
            self.base + path,
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def upload(self, bundle: bytes, *, force: bool = False, name: str = "plugin.tar.gz") -> Any:
        data: dict[str, Any] = {"plugin": _named(bundle, name)}
        if force:
            data["force"] = "true"
        return self.client.post(self.base + "/plugins", data, headers=self._headers(None))


def _named(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.fixture
def api(host, admin_token) -> Api:
    return Api(host, admin_token)


@pytest.fixture
def anon_api(host) -> Api:
    return Api(host)


def manifest(plugin_id: str = "com.example.hello", version: str = "1.0.0", **extra: Any) -> dict:
    data: dict[str, Any] = {"id": plugin_id, "name": "Hello", "version": version}
    data.update(extra)
    return data


@pytest.fixture
def make_bundle() -> Callable[..., bytes]:
    def make(
        plugin_id: str = "com.example.hello",
        version: str = "1.0.0",
        *,
        webapp: bool = True,
        **extra: Any,
    ) -> bytes:
        files: dict[str, Any] = {"README.md": "hello"}
        data = manifest(plugin_id, version, **extra)
        if webapp:
            data["webapp"] = {"bundle_path": "webapp/dist/main.js"}
            files["webapp/dist/main.js"] = f"console.log('{plugin_id} {version}');"
        return build_bundle(data, files)

    return make


def raw_tar_gz(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    """A .tar.gz with hand-made entries (links, traversal...), for hostile-bundle tests."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info, content in members:
            if content is not None:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                tar.addfile(info)
    return raw.getvalue()


def assert_app_error(response: Any, status: int, error_id: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["id"] == error_id, body
    assert body["status_code"] == status
    assert body["request_id"] == response["X-Request-ID"]
    assert set(body) >= {"id", "message", "detailed_error", "request_id", "status_code"}
    return body
