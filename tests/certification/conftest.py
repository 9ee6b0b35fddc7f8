"""Fixtures of the certification tests: users per role, real bundles and source archives."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from certification.models import PendingTask, Submission
from certification.services import SourceInput, submission_create
from common import roles
from common.bundle.build import build_bundle

PLUGIN_ID = "com.example.weather"

GO_MAIN = """package main

import (
\t"github.com/mattermost/mattermost/server/public/plugin"
)

type Plugin struct {
\tplugin.MattermostPlugin
}

func (p *Plugin) OnActivate() error {
\treturn nil
}

func main() {
\tplugin.ClientMain(&Plugin{})
}
"""

APACHE = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION
"""


def manifest(plugin_id: str = PLUGIN_ID, version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {
        "id": plugin_id,
        "name": plugin_id.rsplit(".", 1)[-1].title(),
        "version": version,
        "description": "Shows the weather in a channel header.",
        "homepage_url": f"https://example.com/{plugin_id}",
        "support_url": f"https://example.com/{plugin_id}/issues",
        "min_server_version": "9.0.0",
        "webapp": {"bundle_path": "webapp/dist/main.js"},
        **extra,
    }


def make_bundle(plugin_id: str = PLUGIN_ID, version: str = "1.0.0", **extra: Any) -> bytes:
    return build_bundle(
        manifest(plugin_id, version, **extra),
        {"webapp/dist/main.js": f"window.registerPlugin('{plugin_id}', {{}});\n"},
    )


def make_archive(files: dict[str, str | bytes], *, top: str = "plugin-main") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def source_files(plugin_id: str = PLUGIN_ID, version: str = "1.0.0") -> dict[str, str]:
    import json

    return {
        "plugin.json": json.dumps(manifest(plugin_id, version), indent=2),
        "server/main.go": GO_MAIN,
        "LICENSE": APACHE,
        "README.md": "# Weather\n",
    }


def make_source(plugin_id: str = PLUGIN_ID, version: str = "1.0.0", **extra: str) -> bytes:
    return make_archive({**source_files(plugin_id, version), **extra})


def _user(username: str, *groups: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw-" + username)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def developer(db: Any) -> User:
    return _user("dev")


@pytest.fixture
def other_developer(db: Any) -> User:
    return _user("dev2")


@pytest.fixture
def core(db: Any) -> User:
    return _user("core", roles.CORE_COMMITTERS)


@pytest.fixture
def core2(db: Any) -> User:
    return _user("core2", roles.CORE_COMMITTERS)


@pytest.fixture
def security(db: Any) -> User:
    return _user("sec", roles.SECURITY_REVIEWERS)


@pytest.fixture
def qa(db: Any) -> User:
    return _user("qa", roles.QA)


@pytest.fixture
def pm(db: Any) -> User:
    return _user("pm", roles.PM_UX)


@pytest.fixture
def admin(db: Any) -> User:
    return _user("admin", roles.PORTAL_ADMINS)


@pytest.fixture
def submit(developer: User) -> Callable[..., Submission]:
    """Submit through the real service (archive source) without running follow-up tasks."""

    def do(owner: User | None = None, plugin_id: str = PLUGIN_ID, **kwargs: Any) -> Submission:
        version = kwargs.pop("version", "1.0.0")
        return submission_create(
            owner=owner or developer,
            name=kwargs.pop("name", "Weather"),
            repository_url=kwargs.pop("repository_url", "https://github.com/example/weather"),
            nightly_url=kwargs.pop("nightly_url", "https://example.com/weather/nightly.tar.gz"),
            licence=kwargs.pop("licence", "Apache-2.0"),
            bundle=kwargs.pop("bundle", None) or make_bundle(plugin_id, version),
            source=kwargs.pop("source", None)
            or SourceInput(archive=make_source(plugin_id, version), filename="src.tar.gz"),
            **kwargs,
        )

    return do


def pending(task: str) -> list[dict]:
    return [p.kwargs for p in PendingTask.objects.filter(task_name=f"certification.tasks.{task}")]


def force_status(submission: Submission, status: str, **fields: Any) -> Submission:
    """Put a submission in a stage directly (test set-up only)."""
    Submission.objects.filter(pk=submission.pk).update(status=status, **fields)
    submission.refresh_from_db()
    return submission


# --- live fixtures: the portal on a real port, the default host servers with the real
# supervisor, the deployer account, a file server for nightly builds -------------------------

from tests.hostserver.runtime import live as _live  # noqa: E402

server_bundle = _live.server_bundle
file_server = _live.file_server
live_roots = _live.live_roots
supervisor_thread = _live.supervisor_thread
HOSTS = ["ci-extensions", "ci-extensions-release", "community"]


@pytest.fixture
def live_hosts(live_server, settings, live_roots, supervisor_thread, portal_keyring) -> Any:
    from certification.services.deployments import deployer_ensure
    from hostserver.services import host_ensure_defaults

    settings.PORTAL_BASE_URL = live_server.url
    settings.HOSTSERVER_BASE_URL = live_server.url
    settings.HOSTSERVER_DEFAULT_NAMES = HOSTS
    settings.CERTIFICATION_PLUGIN_START_TIMEOUT = 20.0
    hosts = host_ensure_defaults()
    deployer_ensure()
    return {h.name: h for h in hosts}
