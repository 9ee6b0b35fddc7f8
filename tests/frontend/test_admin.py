"""Admin pages: roles, signing key, the pipeline dashboard; admins only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from certification import workflow
from certification.workflow import Status
from common import roles
from tests.frontend.conftest import client_for
from tests.frontend.factories import submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["frontend:admin-home", "frontend:dashboard", "frontend:host-list"]
)
def test_admin_pages_refuse_non_admins(developer: User, name: str) -> None:
    assert client_for(developer).get(reverse(name)).status_code == 403


def test_add_and_remove_reviewer(admin_user: User, developer: User) -> None:
    client = client_for(admin_user)
    response = client.post(reverse("frontend:member-add"), {"group": roles.QA, "username": "DEV"})
    assert response.status_code == 302
    assert roles.QA in roles.user_groups(developer)
    missing = client.post(reverse("frontend:member-add"), {"group": roles.QA, "username": "ghost"})
    assert missing.status_code == 400
    assert "No account is called" in missing.context["form"].errors["username"][0]
    client.post(reverse("frontend:member-remove"), {"group": roles.QA, "user_id": developer.pk})
    assert roles.QA not in roles.user_groups(developer)


def test_admin_cannot_remove_themselves_from_admins(admin_user: User) -> None:
    client = client_for(admin_user)
    client.post(
        reverse("frontend:member-remove"),
        {"group": roles.PORTAL_ADMINS, "user_id": admin_user.pk},
    )
    assert roles.is_portal_admin(admin_user)


def test_member_add_by_a_developer_changes_nothing(developer: User) -> None:
    client_for(developer).post(
        reverse("frontend:member-add"), {"group": roles.PORTAL_ADMINS, "username": "dev"}
    )
    assert not roles.is_portal_admin(developer)


def test_admin_home_shows_signing_key(admin_user: User, portal_keyring) -> None:
    html = client_for(admin_user).get(reverse("frontend:admin-home")).content.decode()
    assert portal_keyring.fingerprint() in html


def test_dashboard_charts_reflect_the_pipeline(
    admin_user: User, developer: User, make_user: Callable[..., User]
) -> None:
    from certification.services.transitions import stage_approve

    core = make_user("core", groups=(roles.CORE_COMMITTERS,))
    first = submit(developer, "com.example.one")
    submit(developer, "com.example.two")
    stage_approve(
        submission_id=first.pk,
        actor=core,
        checklist={i.key: True for i in workflow.checklist_for(Status.BASIC_REVIEW)},
    )
    response = client_for(admin_user).get(reverse("frontend:dashboard"))
    assert response.status_code == 200
    d = response.context["d"]
    counts = dict(d.stage_counts)
    assert counts["Basic review"] == 1
    assert counts["CI setup"] == 1
    # The approved basic review left its stage this week: a median exists for it.
    assert d.median_hours["Basic review"][-1] is not None
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    assert "Submissions per stage" in html


def test_role_choices_keep_acronyms_as_written(admin_user: User) -> None:
    html = client_for(admin_user).get(reverse("frontend:admin-home")).content.decode()
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    assert (roles.QA, "QA") in options, options
    assert (roles.PM_UX, "PM/UX") in options, options
    assert (roles.CORE_COMMITTERS, "Core committers") in options, options
