"""Mattermost-style identifiers: 26 characters of base32 over 128 random bits.

Mattermost's ``model.NewId`` encodes 16 random bytes with a custom base32 alphabet and drops the
padding; session tokens, personal access tokens, user ids and request ids all look like that.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_MATTERMOST = "ybndrfg8ejkmcpqxot1uwisza345h769"
_TRANSLATE = str.maketrans(_STANDARD, _MATTERMOST)


def new_id() -> str:
    """A fresh 26-character id (request ids, token ids, user ids)."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").translate(_TRANSLATE)


def token_digest(token: str) -> str:
    """What we keep at rest for a token: its SHA-256 (a leaked table logs nobody in)."""
    return hashlib.sha256(token.encode()).hexdigest()
