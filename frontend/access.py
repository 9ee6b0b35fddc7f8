"""Who may open which page: small decorators composed on every view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from common import roles

REVIEWER_GROUPS = frozenset(
    {roles.CORE_COMMITTERS, roles.SECURITY_REVIEWERS, roles.QA, roles.PM_UX}
)

View = TypeVar("View", bound=Callable[..., HttpResponse])


def current_user(request: HttpRequest) -> User:
    """The logged-in user of a view that ``login_required`` already guards."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Log in first.")
    return user


def admin_required(view: View) -> View:
    """Portal admins only; others get 403 (anonymous visitors are sent to log in)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.is_portal_admin(request.user):
            raise PermissionDenied("Only portal admins may open this page.")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def reviewer_required(view: View) -> View:
    """Members of a reviewer group (or portal admins); others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        groups = roles.user_groups(request.user)
        if not (groups & REVIEWER_GROUPS or roles.is_portal_admin(request.user)):
            raise PermissionDenied("Only reviewers may open this page.")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
