"""The admin pages show host server data and offer no way to change it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_admin_lists_are_read_only(host, admin_token):
    staff = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(staff)
    for model in ("hostserver", "hostplugin", "hosttrustedkey", "hosttoken"):
        response = client.get(f"/admin/hostserver/{model}/")
        assert response.status_code == 200, model
        assert client.get(f"/admin/hostserver/{model}/add/").status_code == 403
    page = client.get("/admin/hostserver/hosttoken/").content.decode()
    assert admin_token not in page
