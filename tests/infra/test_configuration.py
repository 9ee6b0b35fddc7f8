"""The configuration contract: every setting comes from the environment and is documented."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import pytest
from django.core.management import get_commands

from tests.conftest import REPO_ROOT

SETTINGS_FILE = REPO_ROOT / "portal" / "settings.py"
ENV_EXAMPLE = REPO_ROOT / ".env.example"


def _variables_read_by_settings() -> set[str]:
    """Every ``env(...)`` / ``env.<cast>("NAME", ...)`` call in portal/settings.py."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first = node.args[0]
        base = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        if (
            isinstance(base, ast.Name)
            and base.id == "env"
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            names.add(first.value)
    return names


def _settings_in_subprocess(overrides: dict[str, str], expression: str) -> object:
    """Evaluate ``expression`` against portal.settings loaded in a fresh interpreter."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _variables_read_by_settings() and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(overrides)
    code = (
        "import json, os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({expression}, default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_env_example_documents_every_variable_the_settings_read():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    read = _variables_read_by_settings()

    assert len(read) > 30  # the parser still finds the env(...) calls
    assert read - documented == set()


def test_database_broker_and_storage_come_from_the_environment(tmp_path):
    values = _settings_in_subprocess(
        {
            "PORTAL_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://portal:pw@db.example:5433/catalog",
            "REDIS_URL": "redis://cache.example:6380/3",
            "AWS_STORAGE_BUCKET_NAME": "bundles",
            "AWS_S3_ENDPOINT_URL": "http://minio:9000",
            "PORTAL_BASE_URL": "https://plugins.example.com/",
        },
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.DATABASES['default']['PORT'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.STORAGES['default']['BACKEND'], "
        "s.STORAGES['default']['OPTIONS']['endpoint_url'], s.PORTAL_BASE_URL]",
    )

    assert values == [
        "django.db.backends.postgresql",
        "catalog",
        5433,
        "redis://cache.example:6380/3",
        "django.core.cache.backends.redis.RedisCache",
        "storages.backends.s3.S3Storage",
        "http://minio:9000",
        "https://plugins.example.com",
    ]


def test_embedded_defaults_need_no_server(tmp_path):
    values = _settings_in_subprocess(
        {"PORTAL_VAR_DIR": str(tmp_path)},
        "[s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME']), "
        "s.CELERY_BROKER_URL, s.STORAGES['default']['BACKEND']]",
    )

    assert values == [
        "django.db.backends.sqlite3",
        str(tmp_path / "portal.sqlite3"),
        "filesystem://localhost//",
        "django.core.files.storage.FileSystemStorage",
    ]


@pytest.mark.parametrize("source", ["Procfile", "Makefile", "docker/entrypoint.sh"])
def test_every_management_command_the_run_files_call_exists(source):
    text = (REPO_ROOT / source).read_text()
    called = set(re.findall(r"manage\.py\s+([a-z_]+)", text))

    assert called  # the file still starts processes through manage.py
    assert called - set(get_commands()) == set()
