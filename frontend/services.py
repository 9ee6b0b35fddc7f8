"""Writes the web UI makes on its own behalf: accounts and personal API tokens.

The UI owns no data of its own; these touch only Django's user model and DRF's token model, which
no app owns. Everything else goes through the apps' services.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from rest_framework.authtoken.models import Token

from common import roles
from common.errors import Conflict, InvalidInput, NotAllowed, NotFound


@transaction.atomic
def user_signup(*, username: str, email: str, password: str) -> User:
    """Create an ordinary (developer) account. Roles are granted by portal admins."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    if email and User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with that email address exists.", code="email_taken")
    return User.objects.create_user(username=username, email=email, password=password)


@transaction.atomic
def api_token_create(*, user: User) -> Token:
    """A new personal API token; any previous one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: User) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


@transaction.atomic
def group_member_add(*, group_name: str, username: str) -> User:
    """Give a user a role (a reviewer group or portal admin)."""
    if group_name not in roles.ALL_GROUPS:
        raise InvalidInput(f"unknown group {group_name!r}")
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        raise NotFound(f"No account is called “{username.strip()}”.")
    group, _ = Group.objects.get_or_create(name=group_name)
    user.groups.add(group)
    return user


@transaction.atomic
def group_member_remove(*, group_name: str, user_id: int, actor: User) -> None:
    if group_name not in roles.ALL_GROUPS:
        raise InvalidInput(f"unknown group {group_name!r}")
    if group_name == roles.PORTAL_ADMINS and user_id == actor.pk:
        raise NotAllowed("You cannot remove yourself from the portal admins.")
    group = Group.objects.filter(name=group_name).first()
    if group is not None:
        group.user_set.remove(user_id)
