"""Sessions and personal access tokens of the host servers' v4 API (portal users)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from hostserver.errors import AppError
from hostserver.ids import new_id, token_digest
from hostserver.models import HostServer, HostToken, HostUser
from hostserver.selectors import pat_get, token_find, user_by_login_id


def user_public_id(*, user: Any) -> str:
    """The user's 26-character Mattermost id, created on first use."""
    existing = HostUser.objects.filter(user=user).values_list("public_id", flat=True).first()
    if existing:
        return str(existing)
    try:
        with transaction.atomic():
            return HostUser.objects.create(user=user, public_id=new_id()).public_id
    except IntegrityError:
        return str(HostUser.objects.get(user=user).public_id)


def _invalid_credentials() -> AppError:
    return AppError(
        "api.user.login.invalid_credentials_email_username.app_error",
        "Enter a valid email or username and/or password.",
        401,
    )


def _issue(
    *, host: HostServer, user: Any, kind: str, description: str = "", ttl: timedelta | None = None
) -> tuple[HostToken, str]:
    token = new_id()
    row = HostToken.objects.create(
        host=host,
        user=user,
        kind=kind,
        token=token_digest(token),
        public_id=new_id(),
        csrf_token=new_id() if kind == HostToken.Kind.SESSION else "",
        description=description,
        expires_at=timezone.now() + ttl if ttl else None,
    )
    return row, token


@transaction.atomic
def session_login(*, host: HostServer, login_id: str, password: str) -> tuple[HostToken, str]:
    """Check a portal user's credentials; a new session and its (only ever returned) token."""
    if not password:
        raise AppError(
            "api.user.login.blank_pwd.app_error", "Password field must not be blank", 400
        )
    user = user_by_login_id(login_id=login_id.strip()) if login_id.strip() else None
    if user is None:
        raise _invalid_credentials()
    checked = authenticate(username=user.get_username(), password=password)
    if checked is None or checked.pk != user.pk or not user.is_active:
        raise _invalid_credentials()
    hours = host.config.get("ServiceSettings", {}).get("SessionLengthWebInHours") or 720
    user_public_id(user=user)
    # Expired sessions are useless; drop this user's on each login so they do not pile up.
    HostToken.objects.filter(
        host=host, user=user, kind=HostToken.Kind.SESSION, expires_at__lte=timezone.now()
    ).delete()
    return _issue(
        host=host, user=user, kind=HostToken.Kind.SESSION, ttl=timedelta(hours=int(hours))
    )


@transaction.atomic
def session_logout(*, host: HostServer, token: str) -> None:
    """Revoke the session behind ``token`` (a PAT is not revoked by logging out)."""
    row = token_find(host=host, token=token)
    if row is not None and row.kind == HostToken.Kind.SESSION:
        row.delete()


def _tokens_enabled(host: HostServer) -> None:
    if not host.config.get("ServiceSettings", {}).get("EnableUserAccessTokens", False):
        raise AppError(
            "app.user_access_token.disabled",
            "Personal access tokens are disabled on this server. "
            "Please contact your system administrator for details.",
            501,
        )


@transaction.atomic
def pat_create(*, host: HostServer, user: Any, description: str) -> tuple[HostToken, str]:
    _tokens_enabled(host)
    description = description.strip()
    if not description:
        raise AppError(
            "model.user_access_token.is_valid.description.app_error",
            "Invalid description, must be 255 or less characters and must not be empty.",
            400,
        )
    if len(description) > 255:
        raise AppError(
            "model.user_access_token.is_valid.description.app_error",
            "Invalid description, must be 255 or less characters and must not be empty.",
            400,
        )
    user_public_id(user=user)
    return _issue(host=host, user=user, kind=HostToken.Kind.PERSONAL, description=description)


def _pat_or_404(host: HostServer, token_id: str) -> HostToken:
    row = pat_get(host=host, token_id=token_id)
    if row is None:
        raise AppError(
            "app.user_access_token.get_by_id.app_error",
            "Unable to find the personal access token.",
            404,
            detail=f"token_id={token_id}",
        )
    return row


@transaction.atomic
def pat_revoke(*, host: HostServer, token_id: str) -> HostToken:
    """Delete the token (Mattermost deletes it together with its session)."""
    row = _pat_or_404(host, token_id)
    row.delete()
    return row


@transaction.atomic
def pat_set_active(*, host: HostServer, token_id: str, active: bool) -> HostToken:
    row = _pat_or_404(host, token_id)
    if row.is_active != active:
        row.is_active = active
        row.save(update_fields=["is_active"])
    return row


def pat_owner(*, host: HostServer, token_id: str) -> Any:
    """The user owning PAT ``token_id`` (for permission checks before a revoke)."""
    return _pat_or_404(host, token_id).user
