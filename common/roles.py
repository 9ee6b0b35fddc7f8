"""Role names shared by every app. Roles are Django groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

CORE_COMMITTERS = "core-committers"
SECURITY_REVIEWERS = "security-reviewers"
QA = "qa"
PM_UX = "pm-ux"
PORTAL_ADMINS = "portal-admins"

ALL_GROUPS = (CORE_COMMITTERS, SECURITY_REVIEWERS, QA, PM_UX, PORTAL_ADMINS)


def user_groups(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]


def is_portal_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Portal admins are Mattermost system admins on the embedded host servers."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return PORTAL_ADMINS in user_groups(user)
