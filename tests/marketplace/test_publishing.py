"""Publishing hosted releases: validate, store (local folder and S3), sign, list, download."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from common.errors import BundleRejected, Conflict, InvalidInput, NotFound
from marketplace import services
from marketplace.models import Plugin, Release, ReleaseSource
from marketplace.services import release_certify, release_publish
from tests.marketplace.conftest import SVG_ICON, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(portal_keyring: Any, local_storage: Path, bundle_file: Callable[..., Path]):
    def run(plugin_id: str = "com.example.hosted", version: str = "1.0.0", **options: Any):
        options.setdefault("author_type", "community")
        options.setdefault("release_stage", "production")
        return release_publish(bundle=bundle_file(plugin_id, version), **options)

    return run


def test_publish_stores_signs_and_lists_the_release(
    publish: Any, local_storage: Path, settings: Any
) -> None:
    release = publish(release_stage="beta", enterprise=True, hosting="on-prem")
    name = "plugins/com.example.hosted/1.0.0/com.example.hosted-1.0.0.tar.gz"
    assert stored_files(local_storage) == [name, name + ".sig"]
    data = (local_storage / name).read_bytes()
    assert release.bundle_sha256 == hashlib.sha256(data).hexdigest()
    assert release.bundle_size == len(data)
    assert release.source == ReleaseSource.PUBLISHED
    assert release.download_url == (
        f"{settings.PORTAL_BASE_URL}/downloads/com.example.hosted/1.0.0/"
        "com.example.hosted-1.0.0.tar.gz"
    )
    assert base64.b64decode(release.signature) == (local_storage / (name + ".sig")).read_bytes()
    entry = json.loads(release.entry)
    assert entry["icon_data"] == "data:image/svg+xml;base64," + base64.b64encode(SVG_ICON).decode()
    assert (entry["release_stage"], entry["enterprise"], entry["hosting"]) == (
        "beta",
        True,
        "on-prem",
    )
    plugin = Plugin.objects.get(plugin_id="com.example.hosted")
    assert plugin.latest_release == release and plugin.icon_data == entry["icon_data"]


def test_republishing_an_existing_version_is_a_conflict(publish: Any, local_storage: Path) -> None:
    publish()
    before = {p: p.stat().st_mtime_ns for p in local_storage.rglob("*") if p.is_file()}
    with pytest.raises(Conflict):
        publish()
    assert {p: p.stat().st_mtime_ns for p in local_storage.rglob("*") if p.is_file()} == before
    assert Release.objects.count() == 1


def test_a_rejected_bundle_stores_nothing(
    portal_keyring: Any, local_storage: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(b"not a gzip file")
    with pytest.raises(BundleRejected):
        release_publish(bundle=path, author_type="community", release_stage="production")
    assert stored_files(local_storage) == [] if local_storage.exists() else True
    assert not Release.objects.exists() and not Plugin.objects.exists()


@pytest.mark.parametrize(
    "options",
    [{"author_type": "nobody"}, {"release_stage": "alpha"}, {"hosting": "both"}],
)
def test_invalid_choices_are_refused(publish: Any, local_storage: Path, options: dict) -> None:
    with pytest.raises(InvalidInput):
        publish(**options)
    assert not Release.objects.exists()


def test_a_failure_after_storing_leaves_nothing_behind(
    publish: Any, local_storage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("marketplace.services.releases.catalog_touch", broken)
    with pytest.raises(RuntimeError):
        publish()
    assert stored_files(local_storage) == []
    assert not Release.objects.exists() and not Plugin.objects.exists()


def test_a_stream_can_be_published(
    portal_keyring: Any, local_storage: Path, bundle_file: Callable[..., Path]
) -> None:
    with bundle_file("com.example.stream").open("rb") as stream:
        release = release_publish(bundle=stream, author_type="partner", release_stage="beta")
    assert release.plugin.plugin_id == "com.example.stream"


def test_published_release_is_served_by_the_marketplace_api(publish: Any, client: Client) -> None:
    release = publish()
    (entry,) = json.loads(client.get("/api/v1/plugins?server_version=9.5.0").content)
    assert entry["download_url"] == release.download_url
    assert entry["signature"] == release.signature
    assert [label["name"] for label in entry["labels"]] == ["Community"]


def test_download_streams_the_bundle_with_its_checksum_and_counts_it(
    publish: Any, client: Client, local_storage: Path
) -> None:
    release = publish()
    url = "/downloads/com.example.hosted/1.0.0/com.example.hosted-1.0.0.tar.gz"
    response = client.get(url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert hashlib.sha256(body).hexdigest() == release.bundle_sha256
    assert response["X-Checksum-Sha256"] == release.bundle_sha256
    assert (
        response["Digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    )
    assert response["Content-Length"] == str(len(body))
    client.get(url)
    client.head(url)  # a HEAD is not a download
    release.refresh_from_db()
    assert release.download_count == 2
    assert Plugin.objects.get().download_count == 2


def test_download_of_the_signature(publish: Any, client: Client) -> None:
    release = publish()
    response = client.get("/downloads/com.example.hosted/1.0.0/com.example.hosted-1.0.0.tar.gz.sig")
    body = b"".join(response.streaming_content)
    assert body == base64.b64decode(release.signature)
    assert response["X-Checksum-Sha256"] == hashlib.sha256(body).hexdigest()
    release.refresh_from_db()
    assert release.download_count == 0


@pytest.mark.parametrize(
    "url",
    [
        "/downloads/com.example.hosted/2.0.0/com.example.hosted-2.0.0.tar.gz",
        "/downloads/com.example.hosted/1.0.0/other.tar.gz",
        "/downloads/nope/1.0.0/nope-1.0.0.tar.gz",
        "/downloads/com.example.hosted/1.0.0/com.example.hosted-1.0.0.zip",
    ],
)
def test_download_404s_cleanly(publish: Any, client: Client, url: str) -> None:
    publish()
    response = client.get(url)
    assert response.status_code == 404
    assert Release.objects.get().download_count == 0


def test_imported_releases_are_not_downloadable_here(client: Client) -> None:
    from marketplace.services import catalog_import
    from tests.marketplace.entries import dump, make_entry

    catalog_import(data=dump([make_entry("ext", "1.0.0")]))
    assert client.get("/downloads/ext/1.0.0/ext-1.0.0.tar.gz").status_code == 404


def test_missing_stored_file_is_a_404(publish: Any, client: Client, local_storage: Path) -> None:
    release = publish()
    (local_storage / release.bundle_name).unlink()
    with pytest.raises(NotFound):
        services.release_download_open(
            plugin_id="com.example.hosted",
            version="1.0.0",
            filename="com.example.hosted-1.0.0.tar.gz",
        )


def test_gpg_verifies_a_downloaded_release_against_the_exported_portal_key(
    publish: Any, client: Client, tmp_path: Path
) -> None:
    publish()
    base = "/downloads/com.example.hosted/1.0.0/com.example.hosted-1.0.0.tar.gz"
    (tmp_path / "bundle.tar.gz").write_bytes(b"".join(client.get(base).streaming_content))
    (tmp_path / "bundle.tar.gz.sig").write_bytes(
        b"".join(client.get(base + ".sig").streaming_content)
    )
    out = StringIO()
    call_command("portal_key", "export", stdout=out)
    assert out.getvalue().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    (tmp_path / "portal.asc").write_text(out.getvalue())
    home = Path("/tmp") / f"gv-{tmp_path.name[-12:]}"
    home.mkdir(mode=0o700, exist_ok=True)
    try:
        gpg = ["gpg", "--homedir", str(home), "--batch", "--no-tty"]
        subprocess.run(
            [*gpg, "--import", str(tmp_path / "portal.asc")], check=True, capture_output=True
        )
        result = subprocess.run(
            [
                *gpg,
                "--verify",
                str(tmp_path / "bundle.tar.gz.sig"),
                str(tmp_path / "bundle.tar.gz"),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert "Good signature" in result.stderr
        tampered = tmp_path / "bundle.tar.gz"
        tampered.write_bytes(tampered.read_bytes() + b"\0")
        bad = subprocess.run(
            [*gpg, "--verify", str(tmp_path / "bundle.tar.gz.sig"), str(tampered)],
            capture_output=True,
        )
        assert bad.returncode != 0
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        subprocess.run(["rm", "-rf", str(home)], check=False)


def test_publish_and_download_on_s3(
    portal_keyring: Any, s3_storage: Any, bundle_file: Callable[..., Path], client: Client
) -> None:
    release = release_publish(
        bundle=bundle_file(), author_type="mattermost", release_stage="production"
    )
    listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket_name)
    keys = sorted(item["Key"] for item in listed.get("Contents", []))
    assert keys == [release.bundle_name, release.signature_name]
    response = client.get("/downloads/com.example.hosted/1.0.0/com.example.hosted-1.0.0.tar.gz")
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == release.bundle_sha256
    assert response["X-Checksum-Sha256"] == release.bundle_sha256


def test_s3_failure_cleanup_leaves_no_object(
    portal_keyring: Any,
    s3_storage: Any,
    bundle_file: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("marketplace.services.releases.plugins_refresh", broken)
    with pytest.raises(RuntimeError):
        release_publish(bundle=bundle_file(), author_type="community", release_stage="beta")
    listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket_name)
    assert listed.get("KeyCount", 0) == 0
    assert not Release.objects.exists()


def test_certify_marks_the_release(publish: Any, django_user_model: Any) -> None:
    publish()
    user = django_user_model.objects.create_user("qa")
    release = release_certify(plugin_id="com.example.hosted", version="1.0.0", actor=user)
    assert release.certified and release.certified_by == user and release.certified_at
    first = release.certified_at
    again = release_certify(plugin_id="com.example.hosted", version="1.0.0", actor=None)
    assert again.certified_at == first
    with pytest.raises(NotFound):
        release_certify(plugin_id="com.example.hosted", version="9.9.9", actor=user)


def test_publish_bundle_command(
    portal_keyring: Any, local_storage: Path, bundle_file: Callable[..., Path]
) -> None:
    out = StringIO()
    call_command(
        "publish_bundle",
        str(bundle_file()),
        "--author-type",
        "partner",
        "--release-stage",
        "experimental",
        "--enterprise",
        "--hosting",
        "cloud",
        stdout=out,
    )
    assert "published com.example.hosted 1.0.0" in out.getvalue()
    release = Release.objects.get()
    assert (release.author_type, release.release_stage, release.enterprise, release.hosting) == (
        "partner",
        "experimental",
        True,
        "cloud",
    )


def test_publish_bundle_command_fails_clearly(
    portal_keyring: Any, local_storage: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(CommandError, match=r"bad\.tar\.gz"):
        call_command("publish_bundle", str(bad))
    with pytest.raises(CommandError, match="no such file"):
        call_command("publish_bundle", str(tmp_path / "missing.tar.gz"))
    assert not Release.objects.exists()


def test_portal_key_fingerprint_and_ensure(portal_keyring: Any, portal_signing_key: Any) -> None:
    out = StringIO()
    call_command("portal_key", "fingerprint", stdout=out)
    assert out.getvalue().strip() == portal_signing_key.fingerprint
    out = StringIO()
    call_command("portal_key", "ensure", stdout=out)
    assert "exists" in out.getvalue() and portal_signing_key.fingerprint in out.getvalue()


def test_portal_key_export_without_a_key_fails(settings: Any, tmp_path: Path) -> None:
    home = Path("/tmp") / f"nk-{tmp_path.name[-12:]}"
    settings.PORTAL_GNUPG_HOME = home
    try:
        with pytest.raises(CommandError, match="ensure"):
            call_command("portal_key", "export")
    finally:
        subprocess.run(["rm", "-rf", str(home)], check=False)


@pytest.mark.django_db
def test_publish_refuses_a_bundle_without_version_and_stores_nothing(portal_keyring, tmp_path):
    from django.core.files.storage import default_storage

    from common.bundle.build import build_bundle

    path = tmp_path / "noversion.tar.gz"
    path.write_bytes(build_bundle({"id": "com.example.noversion", "name": "No version"}))
    with pytest.raises(BundleRejected) as excinfo:
        services.release_publish(bundle=path, author_type="community", release_stage="production")
    assert excinfo.value.check == "manifest"
    assert "version" in excinfo.value.reason
    assert not Release.objects.exists()
    assert not default_storage.exists("plugins/com.example.noversion")
