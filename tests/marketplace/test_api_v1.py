"""The /api/v1 HTTP surface: status codes, bodies and headers as the Go service sends them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from marketplace.compat import ALL_LABELS
from marketplace.services import catalog_import
from tests.marketplace.entries import dump, make_entry

pytestmark = pytest.mark.django_db


def test_plugins_is_json_with_a_trailing_newline(client: Client) -> None:
    catalog_import(data=dump([make_entry("a", name="<A & B>")]))
    response = client.get("/api/v1/plugins")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content.endswith(b"]\n")
    assert b"\\u003cA \\u0026 B\\u003e" in response.content


def test_empty_catalog_answers_an_empty_array(client: Client) -> None:
    assert client.get("/api/v1/plugins").content == b"[]\n"


@pytest.mark.parametrize(
    "query",
    [
        "page=x",
        "per_page=1.5",
        "page=-1",
        "per_page=-2",
        "cloud=yes",
        "server_version=1",
        "server_version=a",
        "enterprise_plugins=2",
        "return_all_versions=on",
    ],
)
def test_bad_parameters_answer_400_with_an_empty_body(client: Client, query: str) -> None:
    response = client.get(f"/api/v1/plugins?{query}")
    assert (response.status_code, response.content) == (400, b"")


@pytest.mark.parametrize("path", ["/api/v1/plugins", "/api/v1/labels", "/api/v1/health"])
def test_other_methods_answer_405(client: Client, path: str) -> None:
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)(path)
        assert response.status_code == 405, (method, path)
        assert response.content == b""


@pytest.mark.parametrize(
    "path", ["/api/v1/plugins/", "/api/v1/labels/", "/api/v1/plugin/jira", "/api/v1/", "/api/v1/x"]
)
def test_exact_paths_only(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")


def test_labels_lists_the_five_labels_in_order(client: Client) -> None:
    response = client.get("/api/v1/labels")
    assert response["Content-Type"] == "application/json"
    labels = json.loads(response.content)
    assert [label["name"] for label in labels] == [
        "Partner",
        "Community",
        "Beta",
        "Experimental",
        "Professional/Enterprise",
    ]
    assert all(list(label) == ["name", "description", "url", "color"] for label in labels)
    assert all(label["color"] == "" for label in labels)
    assert labels == [dict(label) for label in ALL_LABELS]


def test_health_is_health_json(client: Client) -> None:
    response = client.get("/api/v1/health")
    assert response["Content-Type"] == "application/health+json"
    body = json.loads(response.content)
    assert list(body) == ["status", "version", "releaseID", "details", "description"]
    assert (body["status"], body["version"]) == ("pass", "1")
    assert set(body["details"]["buildInfo"]) == {"buildHash", "buildHashShort"}


def test_a_write_is_served_at_the_next_request(client: Client) -> None:
    catalog_import(data=dump([make_entry("a", "1.0.0")]))
    first = json.loads(client.get("/api/v1/plugins").content)
    catalog_import(data=dump([make_entry("a", "1.1.0")]))
    second = json.loads(client.get("/api/v1/plugins").content)
    assert [p["manifest"]["version"] for p in (first + second)] == ["1.0.0", "1.1.0"]


def test_cached_responses_differ_for_every_parameter(client: Client) -> None:
    catalog_import(
        data=dump(
            [
                make_entry(
                    "a",
                    platforms={
                        "linux-amd64": {"download_url": "https://linux", "signature": "bA=="},
                        "darwin-amd64": {},
                        "windows-amd64": {},
                    },
                )
            ]
        )
    )
    generic = json.loads(client.get("/api/v1/plugins").content)[0]
    linux = json.loads(client.get("/api/v1/plugins?platform=linux-amd64").content)[0]
    assert (generic["download_url"], linux["download_url"]) == (
        "https://example.org/a-1.0.0.tar.gz",
        "https://linux",
    )


def test_tie_rule_follows_the_imported_file_order(client: Client) -> None:
    catalog_import(
        data=dump([make_entry("a", "1.0.0+b", name="B"), make_entry("a", "1.0.0+a", name="A")])
    )
    served = json.loads(client.get("/api/v1/plugins").content)
    assert [e["manifest"]["name"] for e in served] == ["A"]  # the later entry of the file


def test_return_all_versions_lists_a_duplicated_release_once(client: Client) -> None:
    catalog_import(data=dump([make_entry("a", "1.0.0"), make_entry("a", "1.0.0", name="Later")]))
    served = json.loads(client.get("/api/v1/plugins?return_all_versions=true").content)
    assert [e["manifest"]["name"] for e in served] == ["Later"]


def test_a_mattermost_server_query_with_every_parameter(client: Client) -> None:
    catalog_import(
        data=dump(
            [
                make_entry("a", "1.0.0", min_server_version="9.0.0"),
                make_entry("a", "2.0.0", min_server_version="10.0.0"),
                make_entry("e", "1.0.0", enterprise=True),
            ]
        )
    )
    query = (
        "page=0&filter=&server_version=9.11.0&enterprise_plugins=false&cloud=false"
        "&build_enterprise_ready=false&local_only=false&remote_only=false&platform=linux-arm64"
        "&plugin_id=&return_all_versions=false"
    )
    served = json.loads(client.get(f"/api/v1/plugins?{query}").content)
    assert [(e["manifest"]["id"], e["manifest"]["version"]) for e in served] == [("a", "1.0.0")]


def test_entries_are_loaded_on_first_render_and_a_vanished_row_reloads(client: Client) -> None:
    from marketplace.models import Release

    catalog_import(data=dump([make_entry("a"), make_entry("b")]))
    assert len(json.loads(client.get("/api/v1/plugins?plugin_id=a").content)) == 1
    # A row removed behind the services' back (no new revision): the loaded catalog no
    # longer matches the database, so it is reloaded instead of failing.
    Release.objects.filter(plugin__plugin_id="b").delete()
    assert json.loads(client.get("/api/v1/plugins?plugin_id=b").content) == []
    assert len(json.loads(client.get("/api/v1/plugins").content)) == 1


def test_health_reports_the_build_from_the_environment(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace import views

    monkeypatch.setenv("PORTAL_BUILD_HASH", "0123456789abcdef0123456789abcdef01234567")
    monkeypatch.setenv("PORTAL_RELEASE_ID", "v1.2.3")
    views._build_info.cache_clear()
    try:
        body = json.loads(client.get("/api/v1/health").content)
    finally:
        views._build_info.cache_clear()
    assert body["releaseID"] == "v1.2.3"
    assert body["details"]["buildInfo"] == {
        "buildHash": "0123456789abcdef0123456789abcdef01234567",
        "buildHashShort": "0123456",
    }


def test_catalog_revision_reads_the_catalog_state_table() -> None:
    from marketplace import selectors
    from marketplace.models import CatalogState

    assert CatalogState._meta.db_table in selectors._REVISION_SQL
    assert selectors.catalog_revision() == ""
    catalog_import(data=dump([make_entry("a")]))
    assert selectors.catalog_revision() == CatalogState.objects.get().revision != ""


def test_revision_is_trusted_for_the_configured_time(settings: object) -> None:
    from marketplace import selectors
    from marketplace.models import CatalogState

    settings.MARKETPLACE_REVISION_TTL = 60  # type: ignore[attr-defined]
    catalog_import(data=dump([make_entry("a")]))
    first = selectors.catalog_snapshot().revision
    # Another process's write (simulated behind this process's back) waits for the TTL...
    CatalogState.objects.update(revision="elsewhere")
    assert selectors.catalog_snapshot().revision == first
    # ...while a write through the services is seen at once.
    catalog_import(data=dump([make_entry("b")]))
    assert selectors.catalog_snapshot().revision == CatalogState.objects.get().revision
