"""OpenPGP signing with a real GnuPG: signatures made by the portal verify with python and with
the real ``gpg --verify`` command line; anything altered, foreign or garbled is refused."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from common import signing
from common.errors import InvalidInput
from common.signing import Keyring, key_fingerprint, verify_detached

DATA = b"plugin bundle bytes \x00\x01\x02" * 1000


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A fresh, short GnuPG home path (gpg-agent's socket must fit in 108 bytes)."""
    root = Path(tempfile.mkdtemp(prefix="ts-", dir="/tmp"))
    yield root / "gnupg"
    subprocess.run(["gpgconf", "--homedir", str(root / "gnupg"), "--kill", "all"], check=False)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def other_key() -> Iterator[Keyring]:
    """A second, unrelated key: signatures by it must not pass for the portal's."""
    root = Path(tempfile.mkdtemp(prefix="ok-", dir="/tmp"))
    keyring = Keyring(root / "gnupg")
    keyring.ensure_key(name="Someone Else", email="else@example.invalid", key_type="ed25519")
    yield keyring
    keyring.release_agent()
    shutil.rmtree(root, ignore_errors=True)


def gpg_cli_verify(public_key: str, sig_path: Path, data_path: Path) -> subprocess.CompletedProcess:
    """``gpg --verify`` exactly as an operator would run it, in a fresh home."""
    home = Path(tempfile.mkdtemp(prefix="cv-", dir="/tmp"))
    try:
        base = ["gpg", "--homedir", str(home), "--batch", "--no-tty"]
        subprocess.run(
            [*base, "--import"], input=public_key.encode(), check=True, capture_output=True
        )
        return subprocess.run(
            [*base, "--status-fd", "1", "--verify", str(sig_path), str(data_path)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_ensure_key_creates_a_key_once_in_a_private_home(short_home):
    keyring = Keyring(short_home)
    assert keyring.fingerprint() is None

    fingerprint = keyring.ensure_key(name="Portal", email="portal@example.invalid")

    assert len(fingerprint) == 40
    assert keyring.fingerprint() == fingerprint
    assert keyring.ensure_key(name="Portal", email="portal@example.invalid") == fingerprint
    assert stat.S_IMODE(short_home.stat().st_mode) == 0o700
    secret = subprocess.run(
        ["gpg", "--homedir", str(short_home), "--batch", "--with-colons", "--list-secret-keys"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [line for line in secret.splitlines() if line.startswith("sec")].__len__() == 1


def test_default_key_is_rsa_3072_sign_only_because_mattermost_cannot_check_eddsa(portal_keyring):
    listing = subprocess.run(
        ["gpg", "--homedir", str(portal_keyring.home), "--batch", "--with-colons", "--list-keys"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pub = next(line.split(":") for line in listing.splitlines() if line.startswith("pub"))
    # Field 3: key length, field 4: algorithm (1 = RSA), field 12: capabilities.
    assert (pub[2], pub[3]) == ("3072", "1")
    assert "s" in pub[11] and "e" not in pub[11]


def test_concurrent_first_starts_create_exactly_one_key(short_home):
    """Web, worker and a management command starting together on a fresh machine."""
    code = (
        "import sys; from pathlib import Path; from common.signing import Keyring; "
        "print(Keyring(Path(sys.argv[1])).ensure_key(name='Portal', email='p@example.invalid'))"
    )
    repo = Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(short_home)],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert all(process.returncode == 0 for process in processes), outputs
    fingerprints = {out.strip() for out, _ in outputs}
    assert len(fingerprints) == 1
    assert len(Keyring(short_home)._secret_keys()) == 1


def _add_key_with_cli(home: Path, uid: str, usage: str, created: str) -> None:
    home.mkdir(mode=0o700, exist_ok=True)
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
         "--passphrase", "", "--faked-system-time", created,
         "--quick-gen-key", uid, "rsa3072", usage, "never"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def test_the_newest_signing_key_signs_and_non_signing_keys_are_ignored(short_home):
    keyring = Keyring(short_home)
    _add_key_with_cli(short_home, "Portal 2020 <p1@example.invalid>", "sign", "20200101T000000")
    first = keyring.fingerprint()
    assert first is not None

    _add_key_with_cli(short_home, "Certify Only <c@example.invalid>", "cert", "20230101T000000")
    assert keyring.fingerprint() == first

    # Rotation: a newer signing key takes over; the certify-only key stays out of it.
    _add_key_with_cli(short_home, "Portal 2022 <p2@example.invalid>", "sign", "20220101T000000")
    second = keyring.fingerprint()
    assert second not in {None, first}
    assert keyring.ensure_key(name="Portal", email="portal@example.invalid") == second
    assert verify_detached(DATA, keyring.sign_detached(DATA), [keyring.export_public()]) == second


def test_ed25519_key_can_be_created_on_request(other_key):
    listing = subprocess.run(
        ["gpg", "--homedir", str(other_key.home), "--batch", "--with-colons", "--list-keys"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pub = next(line.split(":") for line in listing.splitlines() if line.startswith("pub"))
    assert pub[3] == "22"  # EdDSA


def test_ensure_key_refuses_a_multi_line_name_and_creates_nothing(short_home):
    keyring = Keyring(short_home)
    with pytest.raises(InvalidInput, match="name"):
        keyring.ensure_key(name="Portal\nKey-Type: DSA", email="p@example.invalid")
    assert keyring.fingerprint() is None


def test_keyring_refuses_a_home_too_long_for_the_agent_socket():
    with pytest.raises(ValueError, match="108"):
        Keyring(Path("/tmp") / ("x" * 120))


def test_portal_keyring_follows_the_setting(portal_keyring, portal_signing_key):
    assert signing.portal_keyring().fingerprint() == portal_signing_key.fingerprint
    assert signing.portal_keyring().home == portal_signing_key.home


def test_export_public_is_armored_and_has_the_key_fingerprint(portal_keyring, portal_signing_key):
    armored = portal_keyring.export_public()
    assert armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in armored
    assert key_fingerprint(armored) == portal_signing_key.fingerprint


def test_signature_of_bytes_verifies_in_python(portal_keyring, portal_signing_key):
    signature = portal_keyring.sign_detached(DATA)

    assert signature[:1] != b"-"  # binary, not armored
    assert verify_detached(DATA, signature, [portal_signing_key.public_key]) == (
        portal_signing_key.fingerprint
    )


def test_signature_of_a_file_verifies_with_the_gpg_command_line(
    portal_keyring, portal_signing_key, tmp_path
):
    bundle = tmp_path / "demo-1.0.0.tar.gz"
    bundle.write_bytes(os.urandom(3 * 1024 * 1024))
    sig_path = tmp_path / "demo-1.0.0.tar.gz.sig"
    sig_path.write_bytes(portal_keyring.sign_detached(bundle))

    result = gpg_cli_verify(portal_signing_key.public_key, sig_path, bundle)

    assert result.returncode == 0, result.stderr
    assert f"VALIDSIG {portal_signing_key.fingerprint}" in result.stdout
    assert verify_detached(bundle, sig_path.read_bytes(), [portal_signing_key.public_key]) == (
        portal_signing_key.fingerprint
    )


def test_gpg_command_line_rejects_the_signature_of_altered_data(
    portal_keyring, portal_signing_key, tmp_path
):
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(DATA)
    sig_path = tmp_path / "b.tar.gz.sig"
    sig_path.write_bytes(portal_keyring.sign_detached(bundle))
    bundle.write_bytes(DATA + b"!")

    result = gpg_cli_verify(portal_signing_key.public_key, sig_path, bundle)

    assert result.returncode != 0
    assert "BADSIG" in result.stdout


def test_tampered_data_fails_to_verify(portal_keyring, portal_signing_key, tmp_path):
    signature = portal_keyring.sign_detached(DATA)
    tampered = bytearray(DATA)
    tampered[100] ^= 0x01

    with pytest.raises(InvalidInput, match="does not match the data"):
        verify_detached(bytes(tampered), signature, [portal_signing_key.public_key])
    path = tmp_path / "tampered.bin"
    path.write_bytes(bytes(tampered))
    with pytest.raises(InvalidInput, match="does not match the data"):
        verify_detached(path, signature, [portal_signing_key.public_key])


def test_tampered_signature_fails_to_verify(portal_keyring, portal_signing_key):
    signature = bytearray(portal_keyring.sign_detached(DATA))
    signature[-5] ^= 0xFF

    with pytest.raises(InvalidInput, match="signature verification failed"):
        verify_detached(DATA, bytes(signature), [portal_signing_key.public_key])


def test_signature_by_another_key_fails_with_the_key_id(portal_signing_key, other_key):
    signature = other_key.sign_detached(DATA)

    with pytest.raises(InvalidInput, match="not one of the given keys") as excinfo:
        verify_detached(DATA, signature, [portal_signing_key.public_key])
    assert other_key.fingerprint()[-16:] in str(excinfo.value)


def test_any_of_several_keys_may_have_signed(portal_signing_key, other_key):
    signature = other_key.sign_detached(DATA)

    signer = verify_detached(
        DATA, signature, [portal_signing_key.public_key, other_key.export_public()]
    )

    assert signer == other_key.fingerprint()


def test_armored_signature_is_accepted(portal_keyring, portal_signing_key, tmp_path):
    data_path = tmp_path / "data.bin"
    data_path.write_bytes(DATA)
    armored = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(portal_signing_key.home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--armor",
            "--detach-sign",
            "--output",
            "-",
            str(data_path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert armored.startswith(b"-----BEGIN PGP SIGNATURE-----")

    assert verify_detached(DATA, armored, [portal_signing_key.public_key]) == (
        portal_signing_key.fingerprint
    )
    assert verify_detached(DATA, armored.decode(), [portal_signing_key.public_key]) == (
        portal_signing_key.fingerprint
    )


def test_binary_public_key_is_accepted(portal_keyring, portal_signing_key):
    binary_key = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(portal_signing_key.home),
            "--batch",
            "--export",
            portal_signing_key.fingerprint,
        ],
        capture_output=True,
        check=True,
    ).stdout
    signature = portal_keyring.sign_detached(DATA)

    assert verify_detached(DATA, signature, [binary_key]) == portal_signing_key.fingerprint


def test_inline_signed_message_is_not_a_detached_signature(portal_signing_key, tmp_path):
    data_path = tmp_path / "data.bin"
    data_path.write_bytes(DATA)
    inline = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(portal_signing_key.home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--sign",
            "--output",
            "-",
            str(data_path),
        ],
        capture_output=True,
        check=True,
    ).stdout

    with pytest.raises(InvalidInput, match="signature verification failed"):
        verify_detached(DATA, inline, [portal_signing_key.public_key])


@pytest.mark.parametrize(
    "signature",
    [
        b"not a signature at all",
        b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
        os.urandom(300),
        b"   ",
    ],
    ids=["text", "broken-armor", "random-bytes", "blank"],
)
def test_garbage_signature_is_invalid_input(portal_signing_key, signature):
    with pytest.raises(InvalidInput):
        verify_detached(DATA, signature, [portal_signing_key.public_key])


@pytest.mark.parametrize(
    "key",
    [
        "",
        "hello",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
    ],
    ids=["empty", "text", "broken-armor"],
)
def test_garbage_public_key_is_invalid_input(portal_keyring, key):
    signature = portal_keyring.sign_detached(DATA)

    with pytest.raises(InvalidInput, match="public key"):
        verify_detached(DATA, signature, [key])
    with pytest.raises(InvalidInput):
        key_fingerprint(key)


def test_no_public_keys_is_invalid_input(portal_keyring):
    with pytest.raises(InvalidInput, match="no public key"):
        verify_detached(DATA, portal_keyring.sign_detached(DATA), [])


def test_key_fingerprint_refuses_two_keys(portal_signing_key, other_key):
    with pytest.raises(InvalidInput, match="found 2"):
        key_fingerprint(portal_signing_key.public_key + other_key.export_public())


def test_verification_leaves_no_scratch_home_or_agent_behind(portal_keyring, portal_signing_key):
    before = set(Path("/tmp").glob("gpg-*"))
    verify_detached(DATA, portal_keyring.sign_detached(DATA), [portal_signing_key.public_key])
    with pytest.raises(InvalidInput):
        verify_detached(
            DATA + b"x", portal_keyring.sign_detached(DATA), [portal_signing_key.public_key]
        )

    assert set(Path("/tmp").glob("gpg-*")) <= before


def test_verification_never_imports_into_the_portal_keyring(portal_keyring, other_key):
    before = portal_keyring._gpg().list_keys()
    verify_detached(DATA, other_key.sign_detached(DATA), [other_key.export_public()])

    assert [k["fingerprint"] for k in portal_keyring._gpg().list_keys()] == [
        k["fingerprint"] for k in before
    ]
