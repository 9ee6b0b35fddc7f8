"""``/api/v4/users/...``: login, logout, me, personal access tokens."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from common.roles import is_portal_admin
from hostserver import errors, selectors, services
from hostserver.api.base import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    USER_COOKIE,
    XHR,
    Context,
    Reply,
    endpoint,
    status_ok,
)
from hostserver.errors import AppError
from hostserver.models import HostToken
from hostserver.services.tokens import pat_owner


def _millis(value: Any) -> int:
    return int(value.timestamp() * 1000) if value else 0


def user_json(user: Any) -> dict[str, Any]:
    """A sanitized Mattermost ``User`` (no password, auth data or MFA secret)."""
    created = _millis(user.date_joined)
    roles = "system_admin system_user" if is_portal_admin(user) else "system_user"
    return {
        "id": services.user_public_id(user=user),
        "create_at": created,
        "update_at": created,
        "delete_at": 0,
        "username": user.get_username(),
        "auth_data": "",
        "auth_service": "",
        "email": user.email,
        "email_verified": True,
        "nickname": "",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "position": "",
        "roles": roles,
        "notify_props": {
            "channel": "true",
            "comments": "never",
            "desktop": "mention",
            "desktop_sound": "true",
            "email": "true",
            "first_name": "false",
            "mention_keys": "",
            "push": "mention",
            "push_status": "away",
        },
        "last_password_update": created,
        "locale": "en",
        "timezone": {
            "automaticTimezone": "",
            "manualTimezone": "",
            "useAutomaticTimezone": "true",
        },
        "disable_welcome_email": False,
    }


def _token_json(row: HostToken, *, token: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.public_id,
        "user_id": services.user_public_id(user=row.user),
        "description": row.description,
        "is_active": row.is_active,
    }
    if token:
        out["token"] = token
    return out


@endpoint(require_session=False)
def login(ctx: Context) -> Reply:
    body = ctx.json_body()
    props = body if isinstance(body, dict) else {}
    login_id = props.get("login_id") or props.get("email") or props.get("username") or ""
    password = props.get("password") or ""
    if not isinstance(login_id, str) or not isinstance(password, str):
        raise errors.invalid_body_param("login_id")
    session, token = services.session_login(host=ctx.host, login_id=login_id, password=password)
    reply = Reply(user_json(session.user), headers={"Token": token})
    # Mattermost sets cookies only for the webapp (XHR); API clients use the Token header.
    if ctx.request.headers.get("X-Requested-With") == XHR:
        expires = session.expires_at or timezone.now()
        max_age = int((expires - timezone.now()).total_seconds())
        secure = ctx.request.is_secure()
        common = {"max_age": max_age, "path": ctx.path_prefix, "secure": secure, "samesite": "Lax"}
        reply.cookies = [
            {"key": SESSION_COOKIE, "value": token, "httponly": True, **common},
            {"key": USER_COOKIE, "value": services.user_public_id(user=session.user), **common},
            {"key": CSRF_COOKIE, "value": session.csrf_token, **common},
        ]
    return reply


@endpoint(require_session=False)
def logout(ctx: Context) -> Reply:
    if ctx.token:
        services.session_logout(host=ctx.host, token=ctx.token)
    reply = status_ok()
    reply.delete_cookies = [SESSION_COOKIE, USER_COOKIE, CSRF_COOKIE]
    return reply


def _user_param(ctx: Context) -> Any:
    """``{user_id}`` with Mattermost's ``me`` alias."""
    user_id = ctx.params.get("user_id", "")
    if user_id == "me":
        return ctx.user
    if len(user_id) != 26 or not user_id.isalnum():
        raise errors.invalid_url_param("user_id")
    user = selectors.user_by_public_id(public_id=user_id)
    if user is None:
        raise AppError(
            "app.user.missing_account.const", "Unable to find the user.", 404, detail=user_id
        )
    return user


def _require_self_or_admin(ctx: Context, user: Any, permission: str) -> None:
    # system_user holds no token permission by default: only system admins manage tokens.
    ctx.require_permission(permission)
    if user.pk != ctx.user.pk:
        ctx.require_permission("edit_other_users")


@endpoint()
def me(ctx: Context) -> Reply:
    return Reply(user_json(ctx.user))


@endpoint()
def get_user(ctx: Context) -> Reply:
    user = _user_param(ctx)
    if user.pk != ctx.user.pk:
        ctx.require_permission("view_members")
    return Reply(user_json(user))


@endpoint()
def token_create(ctx: Context) -> Reply:
    user = _user_param(ctx)
    _require_self_or_admin(ctx, user, "create_user_access_token")
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise errors.invalid_body_param("token")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise errors.invalid_body_param("description")
    row, token = services.pat_create(host=ctx.host, user=user, description=description)
    return Reply(_token_json(row, token=token))


def _page(ctx: Context) -> tuple[int, int]:
    try:
        page = int(ctx.request.GET.get("page", "0") or 0)
        per_page = int(ctx.request.GET.get("per_page", "60") or 60)
    except ValueError as exc:
        raise errors.invalid_url_param("page") from exc
    return max(page, 0), min(max(per_page, 1), 200)


@endpoint()
def token_list(ctx: Context) -> Reply:
    user = _user_param(ctx)
    _require_self_or_admin(ctx, user, "read_user_access_token")
    page, per_page = _page(ctx)
    rows = selectors.pat_list(host=ctx.host, user=user, page=page, per_page=per_page)
    return Reply([_token_json(row) for row in rows])


def _token_id(ctx: Context) -> str:
    body = ctx.json_body()
    token_id = body.get("token_id") if isinstance(body, dict) else None
    if not isinstance(token_id, str) or not token_id:
        raise errors.invalid_body_param("token_id")
    return token_id


@endpoint()
def token_revoke(ctx: Context) -> Reply:
    token_id = _token_id(ctx)
    owner = pat_owner(host=ctx.host, token_id=token_id)
    _require_self_or_admin(ctx, owner, "revoke_user_access_token")
    services.pat_revoke(host=ctx.host, token_id=token_id)
    return status_ok()


@endpoint()
def token_disable(ctx: Context) -> Reply:
    token_id = _token_id(ctx)
    _require_self_or_admin(
        ctx, pat_owner(host=ctx.host, token_id=token_id), "revoke_user_access_token"
    )
    services.pat_set_active(host=ctx.host, token_id=token_id, active=False)
    return status_ok()


@endpoint()
def token_enable(ctx: Context) -> Reply:
    token_id = _token_id(ctx)
    _require_self_or_admin(
        ctx, pat_owner(host=ctx.host, token_id=token_id), "create_user_access_token"
    )
    services.pat_set_active(host=ctx.host, token_id=token_id, active=True)
    return status_ok()


@endpoint()
def user_by_username(ctx: Context) -> Reply:
    user = selectors.user_by_login_id(login_id=ctx.params.get("username", ""))
    if user is None or "@" in ctx.params.get("username", ""):
        raise AppError(
            "app.user.missing_account.const",
            "Unable to find the user.",
            404,
            detail=ctx.params.get("username", ""),
        )
    if user.pk != ctx.user.pk:
        ctx.require_permission("view_members")
    return Reply(user_json(user))


@endpoint()
def token_get(ctx: Context) -> Reply:
    token_id = ctx.params.get("token_id", "")
    owner = pat_owner(host=ctx.host, token_id=token_id)  # 404 when there is none
    _require_self_or_admin(ctx, owner, "read_user_access_token")
    row = selectors.pat_get(host=ctx.host, token_id=token_id)
    if row is None:  # revoked meanwhile
        raise errors.invalid_url_param("token_id")
    return Reply(_token_json(row))


@endpoint()
def token_list_all(ctx: Context) -> Reply:
    ctx.require_permission("manage_system")
    page, per_page = _page(ctx)
    rows = selectors.pat_list_all(host=ctx.host, page=page, per_page=per_page)
    return Reply([_token_json(row) for row in rows])
