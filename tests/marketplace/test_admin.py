"""The admin reads the catalog and certifies; it does not edit rows behind the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from marketplace.models import Release
from tests.marketplace.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_plugins_and_releases(admin_client: Client) -> None:
    release = ReleaseFactory(plugin_id="com.example.admin")
    assert admin_client.get("/admin/marketplace/plugin/").status_code == 200
    assert admin_client.get("/admin/marketplace/release/").status_code == 200
    detail = admin_client.get(f"/admin/marketplace/release/{release.pk}/change/")
    assert detail.status_code == 200 and b"com.example.admin" in detail.content
    assert admin_client.get("/admin/marketplace/release/add/").status_code == 403


def test_admin_certify_action(admin_client: Client, admin_user: Any) -> None:
    release = ReleaseFactory(plugin_id="com.example.admin")
    response = admin_client.post(
        "/admin/marketplace/release/",
        {"action": "certify", "_selected_action": [release.pk]},
    )
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.certified and release.certified_by == admin_user
    assert Release.objects.count() == 1
