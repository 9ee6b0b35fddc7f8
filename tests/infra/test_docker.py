"""Sanity of the production deployment files, which cannot be run here (no Docker engine)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from tests.conftest import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"
PORTAL_SERVICES = {"web", "worker", "beat", "supervisor", "migrate"}
ONE_SHOT_JOBS = {"migrate", "createbucket"}
# What the production settings need to run against PostgreSQL, Redis and S3.
REQUIRED_PORTAL_VARIABLES = {
    "PORTAL_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "PORTAL_BASE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def _compose() -> dict:
    return yaml.safe_load((DOCKER_DIR / "compose.yaml").read_text())


def _env_file_variables(name: str) -> dict[str, str]:
    path = DOCKER_DIR / f"{name}.example"
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", path.read_text(), re.M)
    return dict(pairs)


def test_every_long_running_service_has_a_healthcheck():
    services = _compose()["services"]

    missing = {
        name
        for name, service in services.items()
        if name not in ONE_SHOT_JOBS and "test" not in service.get("healthcheck", {})
    }

    assert {"postgres", "redis", "minio", "web", "worker", "beat", "supervisor"} <= set(services)
    assert missing == set()


def test_portal_services_get_every_variable_the_production_settings_need():
    services = _compose()["services"]

    for name in PORTAL_SERVICES:
        service = services[name]
        variables = dict(service.get("environment", {}))
        for env_file in service.get("env_file", []):
            variables.update(_env_file_variables(env_file))
        assert variables["PORTAL_ENV"] == "production", name
        assert REQUIRED_PORTAL_VARIABLES - set(variables) == set(), name
        assert service["image"] == "plugin-portal:latest", name


def test_portal_processes_wait_for_their_services_and_the_one_migration():
    services = _compose()["services"]

    for name in PORTAL_SERVICES - {"migrate"}:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["command"] == ["migrate"]


def test_env_file_database_url_matches_the_postgres_service_credentials():
    variables = _env_file_variables("portal.env")

    expected = (
        f"postgres://{variables['POSTGRES_USER']}:{variables['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{variables['POSTGRES_DB']}"
    )
    assert variables["DATABASE_URL"] == expected
    assert variables["AWS_SECRET_ACCESS_KEY"] == variables["MINIO_ROOT_PASSWORD"]


def test_image_runs_as_an_unprivileged_user_on_pinned_python_3_11():
    dockerfile = (DOCKER_DIR / "Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.11\.\d+-slim", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "requirements/base.txt" in dockerfile
    assert "collectstatic" in dockerfile
    assert os.access(DOCKER_DIR / "entrypoint.sh", os.X_OK)


def test_entrypoint_roles_match_the_compose_commands():
    entrypoint = (DOCKER_DIR / "entrypoint.sh").read_text()
    roles = set(re.findall(r"^\s{2}([a-z]+)\)$", entrypoint, re.M))

    commands = {
        service["command"][0]
        for name, service in _compose()["services"].items()
        if name in PORTAL_SERVICES
    }
    assert commands <= roles


def test_entrypoint_and_healthcheck_are_valid_scripts():
    shell = subprocess.run(["sh", "-n", str(DOCKER_DIR / "entrypoint.sh")], capture_output=True)
    python = subprocess.run(
        [sys.executable, "-m", "py_compile", str(DOCKER_DIR / "healthcheck.py")],
        capture_output=True,
    )

    assert shell.returncode == 0, shell.stderr
    assert python.returncode == 0, python.stderr
