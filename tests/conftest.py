"""Fixtures shared by the whole suite.

Fixtures that belong to one app live in ``tests/<app>/conftest.py``; what several apps need
(paths to shared reference data, users) lives here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

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


@pytest.fixture
def portal_keyring(settings, portal_signing_key: PortalSigningKey):
    """``settings.PORTAL_GNUPG_HOME`` pointed at the session's key; returns its ``Keyring``.

    Use it in any test that signs through ``common.signing.portal_keyring()`` (e.g. publishing a
    release); ``portal_signing_key.public_key`` verifies what it signs.
    """
    from common.signing import Keyring

    settings.PORTAL_GNUPG_HOME = portal_signing_key.home
    return Keyring(portal_signing_key.home)
