"""Reads the web UI makes on its own behalf (accounts and tokens only)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from rest_framework.authtoken.models import Token


def api_token_get(*, user: User | AnonymousUser) -> Token | None:
    if not user.is_authenticated:
        return None
    return Token.objects.filter(user=user).only("created", "user_id").first()
