"""Fixtures of the web UI tests: users with roles, logged-in clients, and the browser set-up.

Browser tests drive Debian's Chromium through Playwright (pytest-playwright): the
``browser_type_launch_args`` session fixture points it at the system binary, because
``playwright install`` cannot download here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

import certification.tasks  # noqa: F401 - registers the tasks the outbox runs eagerly in tests
from common import roles

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop running in the test thread for the whole
    # session: Django must allow its ORM there (set, not restored, because database teardown
    # of the last browser test happens after function-scoped fixtures are undone).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    base = Path(os.environ.get("PORTAL_ARTIFACTS_DIR", "artifacts"))
    path = base / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = {"n": 0}

    def make(username: str | None = None, *, groups: tuple[str, ...] = (), **extra: Any) -> User:
        counter["n"] += 1
        name = username or f"user{counter['n']}"
        user = User.objects.create_user(
            username=name, email=f"{name}@example.com", password=PASSWORD, **extra
        )
        for group in groups:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        return user

    return make


@pytest.fixture
def developer(make_user: Callable[..., User]) -> User:
    return make_user("dev")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("admin", groups=(roles.PORTAL_ADMINS,))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def browser_env(browser_type_launch_args: dict[str, Any]) -> None:
    """Request first in browser tests: skips (or fails) without Chromium before any set-up,
    and allows Django's ORM beside Playwright's event loop."""


def login(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, page.content()[:2000]


def shot(page: Any, directory: Path, name: str, *, full_page: bool = True) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
