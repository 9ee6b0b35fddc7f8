"""Login, sessions, cookies + CSRF, personal access tokens: Mattermost's rules (spec 3.5)."""

from __future__ import annotations

import pytest

from hostserver.ids import token_digest
from hostserver.models import HostToken, HostUser
from tests.hostserver.conftest import PASSWORD, Api, assert_app_error

pytestmark = pytest.mark.django_db


def test_login_by_username_returns_sanitized_user_and_token_header(host, admin_user):
    response = Api(host).post("/users/login", {"login_id": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    token = response["Token"]
    assert len(token) == 26
    user = response.json()
    assert user["username"] == "alice"
    assert user["email"] == "alice@example.com"
    assert user["roles"] == "system_admin system_user"
    assert len(user["id"]) == 26
    assert "password" not in user and "mfa_secret" not in user
    assert user["id"] == HostUser.objects.get(user=admin_user).public_id
    # No cookies for an API client.
    assert "MMAUTHTOKEN" not in response.cookies


def test_login_by_email_for_a_plain_user_gives_system_user_role(host, plain_user):
    response = Api(host).post("/users/login", {"login_id": "BOB@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["roles"] == "system_user"


def test_token_is_stored_only_as_a_digest(host, admin_user):
    token = Api(host).post("/users/login", {"login_id": "alice", "password": PASSWORD})["Token"]
    row = HostToken.objects.get()
    assert row.token == token_digest(token)
    assert not HostToken.objects.filter(token=token).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"login_id": "alice", "password": "wrong"},
        {"login_id": "nobody", "password": PASSWORD},
        {"login_id": "", "password": PASSWORD},
    ],
)
def test_bad_credentials_are_401_and_create_no_session(host, admin_user, body):
    response = Api(host).post("/users/login", body)
    assert_app_error(response, 401, "api.user.login.invalid_credentials_email_username.app_error")
    assert not HostToken.objects.exists()


def test_blank_password_is_400(host, admin_user):
    response = Api(host).post("/users/login", {"login_id": "alice", "password": ""})
    assert_app_error(response, 400, "api.user.login.blank_pwd.app_error")


def test_inactive_user_cannot_log_in(host, admin_user):
    admin_user.is_active = False
    admin_user.save()
    response = Api(host).post("/users/login", {"login_id": "alice", "password": PASSWORD})
    assert_app_error(response, 401, "api.user.login.invalid_credentials_email_username.app_error")


def test_login_with_xhr_sets_mattermost_cookies(host, admin_user):
    response = Api(host).post(
        "/users/login",
        {"login_id": "alice", "password": PASSWORD},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    cookies = response.cookies
    assert cookies["MMAUTHTOKEN"].value == response["Token"]
    assert cookies["MMAUTHTOKEN"]["httponly"]
    assert cookies["MMAUTHTOKEN"]["path"] == f"/hosts/{host.name}"
    assert cookies["MMUSERID"].value == response.json()["id"]
    assert cookies["MMCSRF"].value == HostToken.objects.get().csrf_token


@pytest.mark.parametrize("scheme", ["BEARER", "Bearer", "bearer", "Token", "token"])
def test_authorization_header_schemes(host, admin_token, scheme):
    api = Api(host)
    response = api.get("/users/me", headers={"Authorization": f"{scheme} {admin_token}"})
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_me_without_token_is_401(anon_api):
    assert_app_error(anon_api.get("/users/me"), 401, "api.context.session_expired.app_error")


def test_garbage_token_is_401(host):
    response = Api(host, "x" * 26).get("/users/me")
    assert_app_error(response, 401, "api.context.session_expired.app_error")


def test_token_in_query_string_is_refused(host, admin_token):
    response = Api(host).get(f"/users/me?access_token={admin_token}")
    assert_app_error(response, 401, "api.context.token_provided.app_error")


def test_session_of_one_host_is_not_valid_on_another(host, admin_token):
    from hostserver.services import host_create

    other = host_create(name="other-host")
    assert Api(other, admin_token).get("/users/me").status_code == 401


def _cookie_client(host, admin_user):
    api = Api(host)
    response = api.post(
        "/users/login",
        {"login_id": "alice", "password": PASSWORD},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    return api, response.cookies["MMCSRF"].value


def test_cookie_session_get_needs_no_csrf(host, admin_user):
    api, _ = _cookie_client(host, admin_user)
    assert api.get("/users/me").status_code == 200


def test_cookie_session_post_without_csrf_is_401(host, admin_user):
    host.config["ServiceSettings"]["EnableDeveloper"] = True  # to see detailed_error
    host.save()
    api, _ = _cookie_client(host, admin_user)
    response = api.post("/users/me/tokens", {"description": "x"})
    body = assert_app_error(response, 401, "api.context.session_expired.app_error")
    assert "CSRF" in body["detailed_error"]
    assert not HostToken.objects.filter(kind=HostToken.Kind.PERSONAL).exists()


def test_csrf_applies_to_handlers_without_session_requirement_too(host, admin_user):
    api, csrf = _cookie_client(host, admin_user)
    response = api.post("/plugins/marketplace/first_admin_visit", {})
    assert_app_error(response, 401, "api.context.session_expired.app_error")
    host.refresh_from_db()
    assert host.first_admin_visit_marketplace is False
    response = api.post("/plugins/marketplace/first_admin_visit", {}, {"X-CSRF-Token": csrf})
    assert response.status_code == 200


def test_detailed_error_only_in_developer_mode(host, admin_user):
    response = Api(host, "x" * 26).get("/users/me")
    assert response.json()["detailed_error"] == ""


def test_cookie_session_post_with_csrf_header_passes(host, admin_user):
    api, csrf = _cookie_client(host, admin_user)
    response = api.post("/users/me/tokens", {"description": "x"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200


def test_cookie_session_post_with_xhr_header_passes_unless_strict(host, admin_user):
    api, _ = _cookie_client(host, admin_user)
    xhr = {"X-Requested-With": "XMLHttpRequest"}
    assert api.post("/users/me/tokens", {"description": "x"}, headers=xhr).status_code == 200
    host.config["ServiceSettings"]["ExperimentalStrictCSRFEnforcement"] = True
    host.save()
    response = api.post("/users/me/tokens", {"description": "y"}, headers=xhr)
    assert_app_error(response, 401, "api.context.session_expired.app_error")


def test_logout_revokes_the_session(api):
    assert api.post("/users/logout").json() == {"status": "OK"}
    assert_app_error(api.get("/users/me"), 401, "api.context.session_expired.app_error")
    assert not HostToken.objects.exists()


def test_personal_access_token_lifecycle(api, admin_user):
    created = api.post("/users/me/tokens", {"description": "ci deployer"})
    assert created.status_code == 200
    data = created.json()
    assert set(data) == {"id", "token", "user_id", "description", "is_active"}
    assert data["is_active"] is True and data["description"] == "ci deployer"
    assert len(data["token"]) == 26
    user_id = data["user_id"]

    pat_api = Api(api_host(api), data["token"])
    assert pat_api.get("/users/me").json()["id"] == user_id

    listed = api.get(f"/users/{user_id}/tokens").json()
    assert [t["id"] for t in listed] == [data["id"]]
    assert "token" not in listed[0]

    assert api.post("/users/tokens/revoke", {"token_id": data["id"]}).json() == {"status": "OK"}
    assert pat_api.get("/users/me").status_code == 401
    assert api.get("/users/me/tokens").json() == []


def api_host(api: Api):
    from hostserver.models import HostServer

    return HostServer.objects.get(name=api.base.split("/")[2])


def test_pat_without_description_is_400(api):
    response = api.post("/users/me/tokens", {"description": ""})
    assert_app_error(response, 400, "model.user_access_token.is_valid.description.app_error")


def test_plain_user_may_not_create_tokens(host, user_token):
    response = Api(host, user_token).post("/users/me/tokens", {"description": "x"})
    assert_app_error(response, 403, "api.context.permissions.app_error")
    assert not HostToken.objects.filter(kind=HostToken.Kind.PERSONAL).exists()


def test_pats_stop_working_when_disabled_in_config(api, host):
    token = api.post("/users/me/tokens", {"description": "x"}).json()["token"]
    host.config["ServiceSettings"]["EnableUserAccessTokens"] = False
    host.save()
    assert Api(host, token).get("/users/me").status_code == 401
    response = api.post("/users/me/tokens", {"description": "y"})
    assert_app_error(response, 501, "app.user_access_token.disabled")


def test_revoke_unknown_token_is_404(api):
    response = api.post("/users/tokens/revoke", {"token_id": "a" * 26})
    assert_app_error(response, 404, "app.user_access_token.get_by_id.app_error")


def test_expired_session_is_401_and_dropped_at_next_login(host, admin_user, admin_token):
    from datetime import timedelta

    from django.utils import timezone

    HostToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_app_error(
        Api(host, admin_token).get("/users/me"), 401, "api.context.session_expired.app_error"
    )
    Api(host).post("/users/login", {"login_id": "alice", "password": PASSWORD})
    assert HostToken.objects.count() == 1
    assert not HostToken.objects.filter(token=token_digest(admin_token)).exists()


def test_token_get_and_list_all(api, host, plain_user):
    data = api.post("/users/me/tokens", {"description": "one"}).json()
    one = api.get(f"/users/tokens/{data['id']}").json()
    assert one == {k: data[k] for k in ("id", "user_id", "description", "is_active")}
    assert [t["id"] for t in api.get("/users/tokens").json()] == [data["id"]]
    assert api.post("/users/tokens/disable", {"token_id": data["id"]}).status_code == 200
    assert api.get(f"/users/tokens/{data['id']}").json()["is_active"] is False
    assert Api(host, data["token"]).get("/users/me").status_code == 401
    assert api.post("/users/tokens/enable", {"token_id": data["id"]}).status_code == 200
    assert Api(host, data["token"]).get("/users/me").status_code == 200
    assert_app_error(
        api.get("/users/tokens/" + "b" * 26), 404, "app.user_access_token.get_by_id.app_error"
    )


def test_user_by_username_and_id(api, plain_user):
    bob = api.get("/users/username/bob").json()
    assert bob["username"] == "bob" and bob["roles"] == "system_user"
    assert api.get(f"/users/{bob['id']}").json()["email"] == "bob@example.com"
    assert_app_error(api.get("/users/username/nobody"), 404, "app.user.missing_account.const")


def test_ping_with_device_id(anon_api):
    assert anon_api.get("/system/ping?device_id=abc").json()["CanReceiveNotifications"] == "unknown"
