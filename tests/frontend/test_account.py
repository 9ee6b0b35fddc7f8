"""Account pages: sign up, log in/out, password reset by email, personal API tokens."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.frontend.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_signup_creates_account_and_logs_in() -> None:
    client = Client()
    response = client.post(
        reverse("frontend:signup"),
        {
            "username": "newdev",
            "email": "newdev@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newdev")
    assert user.check_password("a-long-unusual-passphrase")
    assert client.get(reverse("frontend:account")).status_code == 200


def test_signup_errors_are_next_to_their_field_and_keep_what_was_typed() -> None:
    User.objects.create_user("taken", "taken@example.com", "x")
    response = Client().post(
        reverse("frontend:signup"),
        {"username": "taken", "email": "fresh@example.com", "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "username" in form.errors
    assert "password2" in form.errors
    html = response.content.decode()
    assert 'value="fresh@example.com"' in html
    assert "That username is taken" in html
    assert "The two passwords differ" in html
    assert User.objects.filter(email="fresh@example.com").count() == 0


def test_signup_refuses_weak_password_without_creating_user() -> None:
    response = Client().post(
        reverse("frontend:signup"),
        {"username": "weak", "email": "w@example.com", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(username="weak").exists()


def test_signup_refuses_duplicate_email() -> None:
    User.objects.create_user("first", "same@example.com", "x")
    response = Client().post(
        reverse("frontend:signup"),
        {
            "username": "second",
            "email": "SAME@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="second").exists()


def test_login_and_logout(developer: User) -> None:
    client = Client()
    bad = client.post(reverse("frontend:login"), {"username": "dev", "password": "nope"})
    assert bad.status_code == 200
    assert "do not match an account" in bad.content.decode()
    ok = client.post(reverse("frontend:login"), {"username": "dev", "password": PASSWORD})
    assert ok.status_code == 302
    assert client.get(reverse("frontend:account")).status_code == 200
    # Log out is a POST (a GET link could be triggered by any page).
    assert client.get(reverse("frontend:logout")).status_code == 405
    client.post(reverse("frontend:logout"))
    response = client.get(reverse("frontend:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))


def test_login_form_needs_csrf_token(developer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("frontend:login"), {"username": "dev", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(developer: User) -> None:
    client = Client()
    response = client.post(reverse("frontend:password_reset"), {"email": "dev@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    # Django redirects the token URL to a session-held one before showing the form.
    page = client.get(match.group(1), follow=True)
    assert page.context["validlink"] is True
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    assert response.status_code == 302
    developer.refresh_from_db()
    assert developer.check_password("another-long-passphrase")


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same() -> None:
    response = Client().post(reverse("frontend:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_api_token_is_shown_once_and_works(developer: User) -> None:
    client = client_for(developer)
    response = client.post(reverse("frontend:token-create"))
    assert response.status_code == 200
    token = Token.objects.get(user=developer)
    assert token.key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    # Not shown again on the account page.
    assert token.key not in client.get(reverse("frontend:account")).content.decode()
    # Replacing invalidates the old key.
    client.post(reverse("frontend:token-create"))
    assert not Token.objects.filter(key=token.key).exists()
    assert Token.objects.filter(user=developer).count() == 1


def test_api_token_revoke(developer: User) -> None:
    client = client_for(developer)
    client.post(reverse("frontend:token-create"))
    response = client.post(reverse("frontend:token-revoke"))
    assert response.status_code == 302
    assert not Token.objects.filter(user=developer).exists()


def test_token_pages_need_login_and_post() -> None:
    assert Client().post(reverse("frontend:token-create")).status_code == 302
    assert not Token.objects.exists()


def test_token_create_refuses_get(developer: User) -> None:
    assert client_for(developer).get(reverse("frontend:token-create")).status_code == 405
    assert not Token.objects.exists()


def test_api_docs_page_links_local_swagger_ui() -> None:
    response = Client().get(reverse("frontend:api-docs"))
    assert response.status_code == 200
    assert reverse("api-docs") in response.content.decode()
    swagger = Client().get(reverse("api-docs")).content.decode()
    # Served from the sidecar package through our static files, never a CDN.
    assert "cdn.jsdelivr" not in swagger
    assert "/static/drf_spectacular_sidecar/" in swagger


def test_error_pages_use_the_portal_look(developer: User, settings) -> None:
    settings.DEBUG = False
    missing = Client().get("/plugins/no-such-plugin/")
    assert missing.status_code == 404
    assert "We could not find that page" in missing.content.decode()
    forbidden = client_for(developer).get(reverse("frontend:dashboard"))
    assert forbidden.status_code == 403
    assert "Only portal admins may open this page." in forbidden.content.decode()


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_interactive_api_docs_load_nothing_from_other_hosts(name: str) -> None:
    html = Client().get(reverse(name)).content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), html


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_interactive_api_docs_declare_a_local_icon_that_exists(name: str) -> None:
    # A page without <link rel="icon"> makes the browser fetch /favicon.ico: a 404 console error.
    html = Client().get(reverse(name)).content.decode()
    icons = re.findall(r"""<link[^>]*rel=["']icon["'][^>]*href=["']([^"']+)["']""", html)
    assert icons, html
    for href in icons:
        assert href.startswith(settings.STATIC_URL), href
        assert finders.find(href.removeprefix(settings.STATIC_URL)), href
