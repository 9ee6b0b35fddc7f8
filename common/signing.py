"""OpenPGP signing and verification with GnuPG (driven by python-gnupg).

The portal signs every bundle it hosts with its own key (``portal_keyring()``, in
``settings.PORTAL_GNUPG_HOME``) and verifies signatures that others made against public keys it is
given. Verification never touches a long-lived keyring: each call imports the given keys into a
throw-away GnuPG home, so a key that was accepted once cannot leak into a later check.

The default key is RSA 3072, sign-only. Mattermost verifies plugin signatures with Go's
``golang.org/x/crypto/openpgp``, which does not know EdDSA: an ed25519 signature would be
refused by every real Mattermost server that requires signed plugins. ed25519 stays available
(``key_type="ed25519"``) for keys that only GnuPG-based tools need to check.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess  # nosec B404  # gpg and gpgconf run with argument lists only
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import gnupg
from django.conf import settings

from common.errors import InvalidInput

logger = logging.getLogger(__name__)

KeyType = Literal["rsa3072", "ed25519"]

GPG_BINARY = "gpg"
GPGCONF_BINARY = "gpgconf"
# gpg-agent listens on a unix socket inside the home when /run/user/<uid> does not exist; the
# kernel limits socket paths to 108 bytes, and the longest socket name is "S.gpg-agent.browser".
_MAX_HOME_PATH = 108 - len("/S.gpg-agent.browser") - 1
# Options for every gpg call: never prompt, never reach for a pinentry program.
_BASE_OPTIONS = ["--pinentry-mode", "loopback", "--no-auto-key-locate"]
# Options for throw-away homes that only ever hold public keys: no agent is needed, and the
# trust model is "the caller handed us these keys", so gpg's web-of-trust warnings are noise.
_SCRATCH_OPTIONS = [*_BASE_OPTIONS, "--no-autostart", "--trust-model", "always"]
# SHA-256 is what every OpenPGP implementation Mattermost might use understands.
_DIGEST = "SHA256"
_MAX_SIGNATURE_BYTES = 64 * 1024
# gpg's validity letters for keys that must not sign: invalid (e.g. created in the future),
# revoked, expired, disabled, never valid.
_UNUSABLE_VALIDITY = frozenset({"i", "r", "e", "d", "n"})
_MAX_KEY_BYTES = 1024 * 1024


class SigningError(RuntimeError):
    """The portal could not produce a signature: a server-side fault, not the caller's."""


def _agent_socket(home: Path) -> str:
    """Where gpg-agent would put its socket for ``home`` (gpg may use /run/user/... instead)."""
    # subprocess here and below: a fixed binary with an argument list, never a shell.
    try:
        result = subprocess.run(  # noqa: S603  # nosec B603  # see above
            [GPGCONF_BINARY, "--homedir", str(home), "--list-dirs", "agent-socket"],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return str(home / "S.gpg-agent.browser")
    # The longest socket name gpg-agent creates beside the one listed.
    return result.stdout.strip().replace("S.gpg-agent", "S.gpg-agent.browser")


def _check_home_length(home: Path) -> None:
    if len(str(home)) <= _MAX_HOME_PATH:
        return
    socket_path = _agent_socket(home)
    if len(socket_path) >= 108:
        raise ValueError(
            f"GnuPG home {home} is too long: gpg-agent's socket {socket_path} would exceed the "
            f"108-byte unix socket limit. Use a path of at most {_MAX_HOME_PATH} characters "
            f"(PORTAL_GNUPG_HOME)."
        )


def _release_agent(home: Path) -> None:
    """Stop the gpg-agent (and friends) that gpg may have started for ``home``."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(  # noqa: S603  # nosec B603  # fixed argv, no shell
            [GPGCONF_BINARY, "--homedir", str(home), "--kill", "all"],
            check=False,
            capture_output=True,
            timeout=10,
        )


def _scratch_dir_root() -> str:
    # Short paths keep gpg-agent's sockets under the unix socket limit even when TMPDIR is deep.
    # Only the parent folder: mkdtemp makes an unpredictable 0700 folder inside it.
    tmp = "/tmp"  # noqa: S108  # nosec B108
    return tmp if os.access(tmp, os.W_OK) else tempfile.gettempdir()


@contextlib.contextmanager
def _scratch_gpg() -> Iterator[gnupg.GPG]:
    """A GnuPG home that lives for one operation; removed (agents stopped) afterwards."""
    home = Path(tempfile.mkdtemp(prefix="gpg-", dir=_scratch_dir_root()))  # mode 0700
    try:
        yield gnupg.GPG(gpgbinary=GPG_BINARY, gnupghome=str(home), options=_SCRATCH_OPTIONS)
    finally:
        _release_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def _as_bytes(text_or_bytes: str | bytes) -> bytes:
    return text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes


def _import_public_keys(gpg: gnupg.GPG, public_keys: Sequence[str | bytes]) -> list[str]:
    """Import keys into a scratch home; the fingerprints of the primary keys imported."""
    imported: list[str] = []
    for index, key in enumerate(public_keys):
        data = _as_bytes(key)
        if not data.strip():
            raise InvalidInput(f"public key #{index + 1} is empty")
        if len(data) > _MAX_KEY_BYTES:
            raise InvalidInput(f"public key #{index + 1} is larger than {_MAX_KEY_BYTES} bytes")
        result = gpg.import_keys(data)
        fingerprints = [fp for fp in (result.fingerprints or []) if fp]
        if not fingerprints:
            raise InvalidInput(f"public key #{index + 1} is not a readable OpenPGP public key")
        imported.extend(fingerprints)
    return imported


def key_fingerprint(armored: str | bytes) -> str:
    """Fingerprint (40 upper-case hex digits) of the one OpenPGP public key in ``armored``.

    Raises ``InvalidInput`` when the text holds no key, or more than one.
    """
    data = _as_bytes(armored)
    if not data.strip():
        raise InvalidInput("the public key is empty")
    if len(data) > _MAX_KEY_BYTES:
        raise InvalidInput(f"the public key is larger than {_MAX_KEY_BYTES} bytes")
    with _scratch_gpg() as gpg:
        keys = [k for k in gpg.scan_keys_mem(data) if k.get("type") == "pub"]
    if not keys:
        raise InvalidInput("this is not an OpenPGP public key")
    if len(keys) > 1:
        raise InvalidInput(f"expected one OpenPGP public key, found {len(keys)}")
    return str(keys[0]["fingerprint"]).upper()


def _verify_problem(result: Any) -> str:
    status = result.status or ""
    if status == "no public key":
        return f"the signature was made by key {result.key_id}, which is not one of the given keys"
    if status == "signature bad":
        return "the signature does not match the data (the data or the signature was altered)"
    if status == "signature expected but not found":
        return "the signature is not an OpenPGP signature"
    if status in {"signing key has expired", "signing key was revoked", "signature expired"}:
        return status
    if status == "signature error":
        return "the signature could not be checked (unsupported algorithm or damaged signature)"
    detail = (result.stderr or "").strip().splitlines()
    tail = next((line for line in reversed(detail) if line and not line.startswith("[GNUPG:]")), "")
    return f"the signature does not verify ({tail or status or 'unknown reason'})"


def verify_detached(
    data: Path | bytes, signature: bytes | str, public_keys: Sequence[str | bytes]
) -> str:
    """Check a detached OpenPGP signature of ``data`` against ``public_keys``.

    ``data`` is a path (read by gpg as a stream) or bytes; ``signature`` armored or binary; the
    keys armored or binary. Returns the fingerprint of the signer's primary key (upper-case hex).
    Raises ``InvalidInput`` with a readable reason when the signature does not verify.
    """
    sig = _as_bytes(signature)
    if not sig.strip():
        raise InvalidInput("the signature is empty")
    if len(sig) > _MAX_SIGNATURE_BYTES:
        raise InvalidInput(f"the signature is larger than {_MAX_SIGNATURE_BYTES} bytes")
    if not public_keys:
        raise InvalidInput("no public key to verify the signature with")
    with _scratch_gpg() as gpg:
        _import_public_keys(gpg, public_keys)
        sig_path = Path(gpg.gnupghome) / "detached.sig"
        sig_path.write_bytes(sig)
        if isinstance(data, Path):
            if not data.is_file():
                raise InvalidInput(f"{data} is not a file")
            data_path = data.resolve()  # absolute: a name can never read as a gpg option
        else:
            # Through a file, not gpg's stdin: gpg stops reading early on a bad signature, and
            # the pipe writer would then fail with a broken pipe instead of a clear refusal.
            data_path = Path(gpg.gnupghome) / "signed.data"
            data_path.write_bytes(data)
        result = gpg.verify_file(str(sig_path), data_filename=str(data_path))
    # Every signature packet must be good: one good signature beside a bad one is a failure.
    if not result.valid or result.problems or not result.fingerprint:
        raise InvalidInput(f"signature verification failed: {_verify_problem(result)}")
    return str(result.pubkey_fingerprint or result.fingerprint).upper()


class Keyring:
    """A GnuPG home that holds (at most a few) secret keys the portal signs with."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        _check_home_length(self.home)

    def _gpg(self) -> gnupg.GPG:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        # gpg refuses to work in (and warns about) a home others can read.
        self.home.chmod(0o700)
        return gnupg.GPG(gpgbinary=GPG_BINARY, gnupghome=str(self.home), options=_BASE_OPTIONS)

    def _secret_keys(self) -> list[dict[str, Any]]:
        if not self.home.is_dir():
            return []
        keys = self._gpg().list_keys(secret=True)
        usable = [
            k
            for k in keys
            if k.get("trust") not in _UNUSABLE_VALIDITY and "s" in str(k.get("cap", "")).lower()
        ]
        # The newest key signs: adding a key is how the portal rotates to it.
        return sorted(usable, key=lambda k: int(k.get("date") or 0), reverse=True)

    def fingerprint(self) -> str | None:
        """Fingerprint of the key this keyring signs with, or None when it holds none."""
        keys = self._secret_keys()
        return str(keys[0]["fingerprint"]).upper() if keys else None

    def ensure_key(self, *, name: str, email: str, key_type: KeyType = "rsa3072") -> str:
        """The signing key's fingerprint, creating a key (without passphrase) if there is none."""
        for field, value in (("name", name), ("email", email)):
            if not value.strip() or any(ch in value for ch in "\r\n\0"):
                raise InvalidInput(f"the key's {field} must be one non-empty line")
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Web, worker and management commands may all start on a fresh machine at once: a lock
        # file makes sure exactly one of them creates the key.
        with (self.home / ".portal-keygen.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                existing = self.fingerprint()
                if existing:
                    return existing
                return self._generate(name=name, email=email, key_type=key_type)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _generate(self, *, name: str, email: str, key_type: KeyType) -> str:
        try:
            return self._generate_once(name=name, email=email, key_type=key_type)
        except SigningError:
            if key_type == "rsa3072":
                raise
            # A gpg built without ed25519 support: RSA signs everywhere.
            logger.warning("gpg could not create an ed25519 key; creating RSA 3072 instead")
            return self._generate_once(name=name, email=email, key_type="rsa3072")

    def _generate_once(self, *, name: str, email: str, key_type: KeyType) -> str:
        if key_type == "ed25519":
            algorithm = ["Key-Type: EDDSA", "Key-Curve: ed25519"]
        else:
            algorithm = ["Key-Type: RSA", "Key-Length: 3072"]
        params = "\n".join(
            [
                *algorithm,
                "Key-Usage: sign",
                f"Name-Real: {name}",
                f"Name-Email: {email}",
                "Expire-Date: 0",
                "%no-protection",
                "%commit",
                "",
            ]
        )
        result = self._gpg().gen_key(params)
        if not result.fingerprint:
            raise SigningError(f"gpg could not create a {key_type} key: {result.stderr.strip()}")
        logger.info("created %s signing key %s in %s", key_type, result.fingerprint, self.home)
        return str(result.fingerprint).upper()

    def export_public(self) -> str:
        """The signing key's public half, ASCII-armored."""
        fingerprint = self._require_key()
        armored = self._gpg().export_keys(fingerprint, armor=True)
        if not armored or "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise SigningError(f"gpg could not export key {fingerprint}")
        return str(armored)

    def sign_detached(self, source: Path | bytes) -> bytes:
        """A binary detached OpenPGP signature of ``source`` (a file, streamed, or bytes)."""
        fingerprint = self._require_key()
        gpg = self._gpg()
        options: dict[str, Any] = {
            "keyid": fingerprint,
            "detach": True,
            "binary": True,
            "clearsign": False,
            "extra_args": ["--digest-algo", _DIGEST],
        }
        if isinstance(source, Path):
            with source.open("rb") as handle:
                result = gpg.sign_file(handle, **options)
        else:
            result = gpg.sign(source, **options)
        if not result.data or result.status != "signature created":
            raise SigningError(f"gpg could not sign: {result.status} {result.stderr.strip()}")
        return bytes(result.data)

    def _require_key(self) -> str:
        fingerprint = self.fingerprint()
        if fingerprint is None:
            raise SigningError(
                f"no signing key in {self.home}: run `python manage.py portal_key create` first"
            )
        return fingerprint

    def release_agent(self) -> None:
        """Stop the gpg-agent serving this home (tests and short-lived homes)."""
        _release_agent(self.home)


def portal_keyring() -> Keyring:
    """The portal's own signing keyring, at ``settings.PORTAL_GNUPG_HOME``."""
    return Keyring(Path(settings.PORTAL_GNUPG_HOME))
