"""Bundle storage through Django's storage API on a real S3 API (moto server on loopback)."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from storages.backends.s3 import S3Storage


def s3_keys(s3_storage) -> list[str]:
    listing = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket_name)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def test_default_storage_is_s3_inside_the_fixture(s3_storage):
    default_storage.exists("anything")  # forces the lazy object to load
    assert isinstance(default_storage._wrapped, S3Storage)
    assert default_storage.bucket_name == s3_storage.bucket_name


def test_save_open_exists_size_delete_round_trip(s3_storage, settings):
    content = os.urandom(256 * 1024)

    name = default_storage.save("bundles/demo/demo-1.0.0.tar.gz", ContentFile(content))

    assert name == "bundles/demo/demo-1.0.0.tar.gz"
    assert default_storage.exists(name)
    assert default_storage.size(name) == len(content)
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == content
    # The object really is in the bucket, and nothing went to the local media folder.
    assert s3_keys(s3_storage) == [name]
    body = s3_storage.client.get_object(Bucket=s3_storage.bucket_name, Key=name)["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(content).digest()
    assert not (settings.MEDIA_ROOT / name).exists()

    default_storage.delete(name)

    assert not default_storage.exists(name)
    assert s3_keys(s3_storage) == []


def test_large_file_goes_up_in_parts_and_comes_back_identical(s3_storage, tmp_path):
    # Above boto3's 8 MiB multipart threshold: exercises the multipart upload on the real API.
    source = tmp_path / "big.tar.gz"
    source.write_bytes(os.urandom(9 * 1024 * 1024 + 123))

    with source.open("rb") as handle:
        name = default_storage.save("bundles/big/big-2.0.0.tar.gz", handle)

    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stored:
        for chunk in stored.chunks(1024 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    assert default_storage.size(name) == source.stat().st_size


def test_saving_an_existing_name_never_overwrites(s3_storage):
    first = default_storage.save("bundles/x/x.tar.gz", ContentFile(b"first"))

    second = default_storage.save("bundles/x/x.tar.gz", ContentFile(b"second"))

    assert second != first
    with default_storage.open(first) as handle:
        assert handle.read() == b"first"
    with default_storage.open(second) as handle:
        assert handle.read() == b"second"


def test_listing_returns_folders_and_files(s3_storage):
    for name in ("bundles/a/a-1.tar.gz", "bundles/a/a-1.tar.gz.sig", "bundles/b/b-1.tar.gz"):
        default_storage.save(name, ContentFile(name.encode()))
    default_storage.save("bundles/readme.txt", ContentFile(b"top"))

    folders, files = default_storage.listdir("bundles")

    assert sorted(folders) == ["a", "b"]
    assert files == ["readme.txt"]
    assert sorted(default_storage.listdir("bundles/a")[1]) == ["a-1.tar.gz", "a-1.tar.gz.sig"]


def test_missing_object_does_not_exist_and_cannot_be_opened(s3_storage):
    assert not default_storage.exists("bundles/none/none.tar.gz")
    with pytest.raises(FileNotFoundError):
        default_storage.open("bundles/none/none.tar.gz").read()


def test_url_is_path_style_on_the_endpoint(s3_storage):
    name = default_storage.save("bundles/u/u.tar.gz", ContentFile(b"u"))

    assert default_storage.url(name) == f"{s3_storage.endpoint_url}/{s3_storage.bucket_name}/{name}"


def test_each_test_starts_with_an_empty_bucket(s3_storage):
    assert s3_keys(s3_storage) == []


def test_default_storage_is_the_filesystem_again_outside_the_fixture():
    # Run after the tests above (file order), this proves the fixture restores the setting.
    default_storage.exists("anything")
    assert isinstance(default_storage._wrapped, FileSystemStorage)
