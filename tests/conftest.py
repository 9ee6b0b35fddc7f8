"""Fixtures shared by the whole suite.

Fixtures that belong to one app live in ``tests/<app>/conftest.py``; what several apps need
(paths to shared reference data, users) lives here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Public reference data that CI provides beside the repository; never committed into it.
SHARED_DIR = Path(os.environ.get("PORTAL_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED_DIR


def require_shared(relative: str) -> Path:
    """Path of a file under shared/, or a skip that says clearly it is absent."""
    path = SHARED_DIR / relative
    if not path.exists():
        if os.environ.get("PORTAL_REQUIRE_SHARED") == "1":
            pytest.fail(f"reference data {path} is required here but missing")
        pytest.skip(f"reference data {path} is absent (it is public data kept outside the repo)")
    return path


# --- Signing: the portal's OpenPGP key -----------------------------------------------------------


class PortalSigningKey(NamedTuple):
    home: Path
    fingerprint: str
    public_key: str


@pytest.fixture(scope="session")
def portal_signing_key() -> Iterator[PortalSigningKey]:
    """A real portal signing key, made once per test session in a short temporary GnuPG home.

    The home is under /tmp (gpg-agent's socket path must stay under 108 bytes); its agent is
    stopped and the home removed at the end of the session.
    """
    from common.signing import Keyring

    home = Path(tempfile.mkdtemp(prefix="pk-", dir="/tmp")) / "gnupg"
    keyring = Keyring(home)
    fingerprint = keyring.ensure_key(name="Plugin Portal Test Key", email="test@portal.invalid")
    yield PortalSigningKey(home, fingerprint, keyring.export_public())
    keyring.release_agent()
    shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _stop_gpg_agent_of_the_default_keyring() -> Iterator[None]:
    """Code that signs without the fixtures uses the test VAR_DIR's GnuPG home, and gpg starts
    an agent there that would outlive the session: stop it at the end."""
    from django.conf import settings

    home = Path(settings.PORTAL_GNUPG_HOME)
    yield
    if home.is_dir():
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True
        )


@pytest.fixture
def portal_keyring(settings, portal_signing_key: PortalSigningKey):
    """``settings.PORTAL_GNUPG_HOME`` pointed at the session's key; returns its ``Keyring``.

    Use it in any test that signs through ``common.signing.portal_keyring()`` (e.g. publishing a
    release); ``portal_signing_key.public_key`` verifies what it signs.
    """
    from common.signing import Keyring

    settings.PORTAL_GNUPG_HOME = portal_signing_key.home
    return Keyring(portal_signing_key.home)


# --- Storage: a real S3 API (moto server on loopback) --------------------------------------------

MOTO_BUCKET = "portal-test-bundles"
MOTO_CREDENTIALS = {"access_key": "testing-access-key", "secret_key": "testing-secret-key"}


class S3Endpoint(NamedTuple):
    url: str
    process: subprocess.Popen


class S3Storage(NamedTuple):
    endpoint_url: str
    bucket_name: str
    client: Any  # a boto3 S3 client on the same endpoint, to look behind Django's back


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_with_parent_hook() -> Any:
    """A pre-exec hook that has the kernel stop the child if pytest dies without finalizers.

    Everything is looked up in the parent: the child, between fork and exec, only makes the
    one prctl call (no imports, no locks).
    """
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)
    return lambda: prctl(pr_set_pdeathsig, sigterm)


@pytest.fixture(scope="session")
def moto_s3_endpoint(tmp_path_factory) -> Iterator[S3Endpoint]:
    """A real ``moto_server`` process on a free loopback port, for the whole test session."""
    import httpx

    binary = Path(sys.executable).with_name("moto_server")
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = _free_loopback_port()
        url = f"http://127.0.0.1:{port}"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [str(binary), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_stop_with_parent_hook(),
            )
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/moto-api/data.json", timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        if process.poll() is None and time.monotonic() < deadline:
            break
        process.kill()
        process.wait()
    else:
        pytest.fail(f"moto_server did not start; see {log_path}:\n{log_path.read_text()[-2000:]}")
    yield S3Endpoint(url, process)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def s3_storage(settings, moto_s3_endpoint: S3Endpoint) -> S3Storage:
    """Django's default storage switched to django-storages' S3 backend on a real S3 API.

    moto is wiped (``POST /moto-api/reset``) and the bucket created before each test;
    ``settings.STORAGES["default"]`` points at it, so ``default_storage`` and every
    ``FileField`` talk S3 for real in this process (Django's ``setting_changed`` handler drops
    the cached storages on set and on restore). Use ``s3_storage.client`` (boto3) to check
    objects directly, e.g. ``client.list_objects_v2(Bucket=s3_storage.bucket_name)``.
    Subprocesses (Celery workers) do not see it: give them the ``AWS_*`` environment instead
    (``AWS_STORAGE_BUCKET_NAME``, ``AWS_S3_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...).
    """
    import boto3
    import httpx

    httpx.post(f"{moto_s3_endpoint.url}/moto-api/reset", timeout=10, trust_env=False)
    client = boto3.client(
        "s3",
        endpoint_url=moto_s3_endpoint.url,
        region_name="us-east-1",
        aws_access_key_id=MOTO_CREDENTIALS["access_key"],
        aws_secret_access_key=MOTO_CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=MOTO_BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": MOTO_BUCKET,
                "endpoint_url": moto_s3_endpoint.url,
                "region_name": "us-east-1",
                **MOTO_CREDENTIALS,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": False,
            },
        },
    }
    settings.AWS_STORAGE_BUCKET_NAME = MOTO_BUCKET
    return S3Storage(moto_s3_endpoint.url, MOTO_BUCKET, client)
