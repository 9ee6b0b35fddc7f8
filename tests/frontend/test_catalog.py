"""Marketplace pages: home with search and filters, plugin page, the signing key."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.frontend.factories import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(portal_keyring) -> None:
    publish(
        "com.example.jira-bridge",
        "1.2.0",
        name="Jira Bridge",
        description="Links Jira issues to channels.",
        author_type="partner",
        certified=True,
        icon=True,
    )
    publish("com.example.jira-bridge", "1.1.0", name="Jira Bridge", author_type="partner")
    publish(
        "com.example.polls",
        "0.3.0",
        name="Polls",
        description="Quick polls in a channel.",
        release_stage="beta",
        min_server_version="11.0.0",
    )
    publish("com.example.zoom", "2.0.0", name="Zoom Meetings", author_type="mattermost")


def names(response) -> list[str]:
    return [p.name for p in response.context["page"].object_list]


def test_home_lists_every_plugin_by_name(catalog: None) -> None:
    response = Client().get(reverse("frontend:home"))
    assert response.status_code == 200
    assert names(response) == ["Jira Bridge", "Polls", "Zoom Meetings"]
    html = response.content.decode()
    assert "✔ Certified" in html
    assert reverse("frontend:plugin-detail", args=["com.example.polls"]) in html


def test_search_matches_name_description_and_id(catalog: None) -> None:
    client = Client()
    assert names(client.get(reverse("frontend:home"), {"q": "jira"})) == ["Jira Bridge"]
    assert names(client.get(reverse("frontend:home"), {"q": "polls in a"})) == ["Polls"]
    assert names(client.get(reverse("frontend:home"), {"q": "com.example.zoom"})) == [
        "Zoom Meetings"
    ]
    empty = client.get(reverse("frontend:home"), {"q": "nothing-like-this"})
    assert names(empty) == []
    assert "No plugin matches" in empty.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"author_type": "partner"}, ["Jira Bridge"]),
        ({"author_type": "mattermost"}, ["Zoom Meetings"]),
        ({"release_stage": "beta"}, ["Polls"]),
        ({"label": "Beta"}, ["Polls"]),
        ({"label": "Partner"}, ["Jira Bridge"]),
        ({"certified": "on"}, ["Jira Bridge"]),
        ({"server_version": "10.5.0"}, ["Jira Bridge", "Zoom Meetings"]),
        ({"server_version": "11.0.0"}, ["Jira Bridge", "Polls", "Zoom Meetings"]),
        ({"author_type": "partner", "certified": "on", "q": "bridge"}, ["Jira Bridge"]),
    ],
)
def test_filters(catalog: None, params: dict[str, str], expected: list[str]) -> None:
    assert names(Client().get(reverse("frontend:home"), params)) == expected


def test_bad_server_version_is_explained_next_to_the_field_and_ignored(catalog: None) -> None:
    response = Client().get(reverse("frontend:home"), {"server_version": "ten", "q": "o"})
    assert "server_version" in response.context["form"].errors
    html = response.content.decode()
    assert "Write a version like 10.5.0" in html
    assert 'value="ten"' in html  # what was typed stays in the box
    assert len(names(response)) == 3


def test_home_query_count_does_not_grow_with_the_catalog(
    catalog: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(6):
        Client().get(reverse("frontend:home"))
    for i in range(5):
        publish(f"com.example.more{i}", "1.0.0")
    with django_assert_max_num_queries(6):
        Client().get(reverse("frontend:home"))


def test_plugin_page_shows_versions_checksums_signature_and_install(catalog: None) -> None:
    response = Client().get(reverse("frontend:plugin-detail", args=["com.example.jira-bridge"]))
    assert response.status_code == 200
    html = response.content.decode()
    latest = response.context["latest"]
    assert latest.version == "1.2.0"
    assert [r.version for r in response.context["releases"]] == ["1.2.0", "1.1.0"]
    assert latest.bundle_sha256 in html
    assert latest.download_url in html
    assert f"{latest.download_url}.sig" in html
    assert "MarketplaceURL" in html
    assert "✔ Certified" in html
    assert 'src="data:image/svg+xml;base64,' in html  # the bundle's own icon
    assert "https://example.com/com.example.jira-bridge/issues" in html


def test_unknown_plugin_is_404() -> None:
    assert Client().get(reverse("frontend:plugin-detail", args=["nope"])).status_code == 404


def test_signing_key_is_served(catalog: None) -> None:
    response = Client().get(reverse("frontend:signing-key"))
    assert response.status_code == 200
    assert b"BEGIN PGP PUBLIC KEY BLOCK" in response.content
