"""The production profile (``PORTAL_ENV=production``), exercised as an operator would: in a fresh
process, through ``manage.py``."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Variables of the developer's or CI's shell that would change what production settings see.
_SCRUBBED = (
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "DJANGO_",
    "PORTAL_",
    "SECURE_",
    "CSRF_",
    "OUTBOUND_",
    "AWS_",
)


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "production",
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "portal.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_setting(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["SECRET_KEY"]

    result = manage(production_env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when PORTAL_ENV=production" in result.stderr


def test_production_refuses_a_short_secret_key(production_env):
    production_env["SECRET_KEY"] = "too-short"

    result = manage(production_env, "check")

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_check_deploy_passes_with_production_settings(production_env):
    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_finds_no_security_issue(production_env):
    # Narrower than the test above: only Django's security checks, which settings alone decide
    # (the full run also includes the API schema checks of every app).
    result = manage(production_env, "check", "--deploy", "--tag", "security")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "security." not in result.stderr + result.stdout


def test_check_deploy_catches_a_weakened_production_setting(production_env):
    # Proof that the test above runs the deploy checks: turning one protection off fails them.
    production_env["SECURE_SSL_REDIRECT"] = "false"

    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_production_defaults_are_hardened(production_env):
    values = production_setting(
        production_env,
        "DEBUG",
        "OUTBOUND_ALLOW_PRIVATE_ADDRESSES",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
    )

    assert values == {
        "DEBUG": False,
        "OUTBOUND_ALLOW_PRIVATE_ADDRESSES": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "ALLOWED_HOSTS": ["portal.example.com"],
    }


def test_development_profile_needs_no_secrets(production_env):
    env = {k: v for k, v in production_env.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env["PORTAL_ENV"] = "development"

    result = manage(env, "check")

    assert result.returncode == 0, result.stderr
