"""The catalog REST API: reads, search, filters, ordering, ETags, throttling, upload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common.roles import PORTAL_ADMINS
from marketplace.models import Release
from marketplace.services import catalog_import, release_certify
from tests.marketplace.conftest import stored_files
from tests.marketplace.entries import dump, make_entry
from tests.marketplace.factories import EntryFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response: Any) -> list[str]:
    return [item["plugin_id"] for item in results(response)]


def test_anonymous_can_list_plugins_with_their_latest_release(api: APIClient) -> None:
    ReleaseFactory(plugin_id="a", version="1.0.0")
    ReleaseFactory(plugin_id="a", version="1.10.0")
    body = api.get("/api/catalog/plugins/").json()
    assert body["count"] == 1
    (plugin,) = body["results"]
    assert plugin["plugin_id"] == "a" and plugin["latest_release"]["version"] == "1.10.0"
    assert plugin["release_count"] == 2


def test_plugin_detail_and_404_problem(api: APIClient) -> None:
    ReleaseFactory(plugin_id="com.example.dots", name="Dots")
    body = api.get("/api/catalog/plugins/com.example.dots/").json()
    assert body["name"] == "Dots" and body["releases_url"].endswith("/com.example.dots/releases/")
    missing = api.get("/api/catalog/plugins/nope/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert missing.json()["status"] == 404


def test_version_history_is_newest_first_by_semver(api: APIClient) -> None:
    for version in ("1.9.0", "1.10.0", "1.10.0-rc.1", "0.2.0"):
        ReleaseFactory(plugin_id="a", version=version)
    response = api.get("/api/catalog/plugins/a/releases/")
    assert [r["version"] for r in results(response)] == ["1.10.0", "1.10.0-rc.1", "1.9.0", "0.2.0"]
    assert api.get("/api/catalog/plugins/nope/releases/").status_code == 404


def test_release_detail_has_download_sha256_signature_and_certification(
    api: APIClient,
    portal_keyring: Any,
    local_storage: Path,
    bundle_file: Callable[..., Path],
) -> None:
    from marketplace.services import release_publish

    release = release_publish(bundle=bundle_file(), author_type="partner", release_stage="beta")
    release_certify(plugin_id="com.example.hosted", version="1.0.0", actor=None)
    body = api.get("/api/catalog/plugins/com.example.hosted/releases/1.0.0/").json()
    assert body["download_url"] == release.download_url
    assert body["sha256"] == release.bundle_sha256 and body["size"] == release.bundle_size
    assert body["signature"] == release.signature
    assert body["signature_url"] == release.download_url + ".sig"
    assert body["certified"] is True and body["certified_at"]
    assert [label["name"] for label in body["labels"]] == ["Partner", "Beta"]
    assert body["manifest"]["id"] == "com.example.hosted"


def test_imported_release_detail_has_no_sha256(api: APIClient) -> None:
    ReleaseFactory(plugin_id="a", version="1.0.0+build.1")
    body = api.get("/api/catalog/plugins/a/releases/1.0.0+build.1/").json()
    assert body["sha256"] is None and body["hosted"] is False


def test_search_matches_id_name_and_description(api: APIClient) -> None:
    ReleaseFactory(plugin_id="com.example.jira", name="Tracker", description="x")
    ReleaseFactory(plugin_id="b", name="GitLab", description="x")
    ReleaseFactory(plugin_id="c", name="Other", description="talks to gitlab")
    assert ids(api.get("/api/catalog/plugins/?search=jira")) == ["com.example.jira"]
    assert ids(api.get("/api/catalog/plugins/?search=gitlab")) == ["b", "c"]


def test_filters_by_author_type_release_stage_enterprise_and_hosting(api: APIClient) -> None:
    ReleaseFactory(plugin_id="p", author_type="partner")
    ReleaseFactory(plugin_id="b", release_stage="beta", hosting="cloud")
    ReleaseFactory(plugin_id="e", enterprise=True, hosting="on-prem")
    assert ids(api.get("/api/catalog/plugins/?author_type=partner")) == ["p"]
    assert ids(api.get("/api/catalog/plugins/?release_stage=beta")) == ["b"]
    assert ids(api.get("/api/catalog/plugins/?enterprise=true")) == ["e"]
    assert ids(api.get("/api/catalog/plugins/?hosting=cloud")) == ["b"]
    assert ids(api.get("/api/catalog/plugins/?hosting=any")) == ["p"]
    assert api.get("/api/catalog/plugins/?author_type=alien").status_code == 400


def test_label_filter_uses_computed_and_stored_labels(api: APIClient) -> None:
    ReleaseFactory(plugin_id="p", author_type="partner")
    ReleaseFactory(plugin_id="old", labels=[{"name": "Enterprise (E20)"}])
    ReleaseFactory(plugin_id="x", release_stage="experimental")
    assert ids(api.get("/api/catalog/plugins/?label=Partner")) == ["p"]
    assert ids(api.get("/api/catalog/plugins/?label=Enterprise (E20)")) == ["old"]
    assert ids(api.get("/api/catalog/releases/", {"label": "Experimental"})) == ["x"]


def test_certified_filter(api: APIClient) -> None:
    ReleaseFactory(plugin_id="a")
    ReleaseFactory(plugin_id="b")
    Release.objects.filter(plugin__plugin_id="a").update(certified=True)
    assert ids(api.get("/api/catalog/plugins/?certified=true")) == ["a"]
    assert ids(api.get("/api/catalog/plugins/?certified=false")) == ["b"]
    assert ids(api.get("/api/catalog/releases/?certified=true")) == ["a"]


def test_compatible_with_compares_semver_not_text(api: APIClient) -> None:
    ReleaseFactory(plugin_id="nine", min_server_version="9.9.0")
    ReleaseFactory(plugin_id="ten", min_server_version="10.0.0")
    ReleaseFactory(plugin_id="any")
    ReleaseFactory(plugin_id="rc", min_server_version="9.10.0-rc1")
    assert ids(api.get("/api/catalog/plugins/?compatible_with=9.10.0")) == ["any", "nine", "rc"]
    assert ids(api.get("/api/catalog/plugins/?compatible_with=9.10.0-rc0")) == ["any", "nine"]
    assert ids(api.get("/api/catalog/releases/?compatible_with=10.0.0")) == [
        "any",
        "nine",
        "rc",
        "ten",
    ]
    bad = api.get("/api/catalog/plugins/?compatible_with=v9")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


def test_ordering_and_pagination(api: APIClient) -> None:
    for n in range(3):
        ReleaseFactory(plugin_id=f"p{n}")
    Release.objects.filter(plugin__plugin_id="p1").update(download_count=5)
    from marketplace.models import Plugin

    Plugin.objects.filter(plugin_id="p1").update(download_count=5)
    assert ids(api.get("/api/catalog/plugins/?ordering=-download_count"))[0] == "p1"
    page = api.get("/api/catalog/plugins/?page=2&page_size=2").json()
    assert page["count"] == 3 and page["previous"]


def test_etag_and_conditional_get(api: APIClient) -> None:
    ReleaseFactory(plugin_id="a")
    for url in ("/api/catalog/plugins/", "/api/catalog/plugins/a/"):
        first = api.get(url)
        etag = first["ETag"]
        again = api.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    before = api.get("/api/catalog/plugins/")["ETag"]
    ReleaseFactory(plugin_id="b")
    changed = api.get("/api/catalog/plugins/", HTTP_IF_NONE_MATCH=before)
    assert changed.status_code == 200 and changed["ETag"] != before


def test_anonymous_reads_are_throttled(api: APIClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "catalog": "3/minute",
            "anon": "1000/minute",
            "user": "1000/minute",
        },
    }
    cache.clear()
    statuses = [api.get("/api/catalog/plugins/").status_code for _ in range(4)]
    cache.clear()
    assert statuses == [200, 200, 200, 429]


@pytest.fixture
def staff_token(django_user_model: Any) -> str:
    user = django_user_model.objects.create_user("admin", is_staff=True)
    return Token.objects.create(user=user).key


def test_upload_publishes_a_release_for_staff(
    api: APIClient,
    staff_token: str,
    portal_keyring: Any,
    local_storage: Path,
    bundle_file: Callable[..., Path],
) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token}")
    with bundle_file().open("rb") as handle:
        response = api.post(
            "/api/catalog/releases/",
            {"bundle": handle, "author_type": "community", "release_stage": "beta"},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == "1.0.0" and body["sha256"] and body["signature"]
    assert response["Location"].endswith("/plugins/com.example.hosted/releases/1.0.0/")
    assert Release.objects.get().published_by.username == "admin"


def test_upload_by_a_portal_admin_is_allowed(
    api: APIClient,
    django_user_model: Any,
    portal_keyring: Any,
    local_storage: Path,
    bundle_file: Callable[..., Path],
) -> None:
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("pa")
    user.groups.add(Group.objects.get_or_create(name=PORTAL_ADMINS)[0])
    api.force_authenticate(user)
    with bundle_file().open("rb") as handle:
        response = api.post("/api/catalog/releases/", {"bundle": handle, "author_type": "partner"})
    assert response.status_code == 201


def test_upload_refused_for_anonymous_and_ordinary_users(
    api: APIClient, django_user_model: Any, local_storage: Path, bundle_file: Callable[..., Path]
) -> None:
    with bundle_file().open("rb") as handle:
        anonymous = api.post("/api/catalog/releases/", {"bundle": handle, "author_type": "partner"})
    assert anonymous.status_code == 401
    token = Token.objects.create(user=django_user_model.objects.create_user("dev")).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with bundle_file().open("rb") as handle:
        ordinary = api.post("/api/catalog/releases/", {"bundle": handle, "author_type": "partner"})
    assert ordinary.status_code == 403
    assert not Release.objects.exists() and stored_files(local_storage) == []


def test_upload_of_a_bad_bundle_is_400_and_stores_nothing(
    api: APIClient, staff_token: str, portal_keyring: Any, local_storage: Path, tmp_path: Path
) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token}")
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08 nope")
    with bad.open("rb") as handle:
        response = api.post("/api/catalog/releases/", {"bundle": handle, "author_type": "partner"})
    assert response.status_code == 400
    assert response.json()["type"].endswith("bundle_rejected")
    missing = api.post("/api/catalog/releases/", {"author_type": "partner"})
    assert missing.status_code == 400 and "bundle" in missing.json()["errors"]
    assert not Release.objects.exists() and stored_files(local_storage) == []


def test_upload_of_an_existing_version_is_409(
    api: APIClient,
    staff_token: str,
    portal_keyring: Any,
    local_storage: Path,
    bundle_file: Callable[..., Path],
) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token}")
    for expected in (201, 409):
        with bundle_file().open("rb") as handle:
            response = api.post(
                "/api/catalog/releases/", {"bundle": handle, "author_type": "partner"}
            )
        assert response.status_code == expected
    assert Release.objects.count() == 1


def _count_queries(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    ["/api/catalog/plugins/", "/api/catalog/releases/", "/api/catalog/plugins/p000/releases/"],
)
def test_list_query_count_does_not_grow_with_the_catalog(api: APIClient, url: str) -> None:
    def grow(plugins: int, versions: int) -> None:
        entries = [
            EntryFactory(plugin_id=f"p{p:03d}", version=f"1.{v}.0")
            for p in range(plugins)
            for v in range(versions)
        ]
        catalog_import(data=dump(entries))

    grow(1, 5)
    small = _count_queries(api, url)
    grow(10, 5)  # 50 releases of 10 plugins
    assert Release.objects.count() == 50
    assert _count_queries(api, url) == small


def test_plugins_json_round_trip_through_the_release_list(api: APIClient) -> None:
    catalog_import(data=dump([make_entry("a", "1.0.0", min_server_version="9.0.0")]))
    (release,) = results(api.get("/api/catalog/releases/"))
    assert release["min_server_version"] == "9.0.0"
    assert release["updated_at"] == "2024-10-11T16:52:57.080352964Z"


@pytest.mark.django_db
def test_the_api_root_links_its_collections_schema_and_docs(api: APIClient) -> None:
    response = api.get("/api/catalog/")

    assert response.status_code == 200
    body = response.json()
    assert body["plugins"].endswith("/api/catalog/plugins/")
    assert body["releases"].endswith("/api/catalog/releases/")
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")
    assert body["marketplace"].endswith("/api/v1/plugins")
    assert api.get(body["plugins"]).status_code == 200
