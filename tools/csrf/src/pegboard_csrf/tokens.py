"""CSRF tokens: a secret per session (or per signed cookie), handed out masked.

The secret never changes for a session; each page gets it XOR-ed with a new
random pad, pad first (``mask``), so that no two responses carry the same
bytes and a compression side channel (BREACH) learns nothing from them.
``unmask`` undoes it. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = [
    "cookie_secret",
    "mask",
    "new_secret",
    "same_secret",
    "sign_cookie",
    "unmask",
]

#: a masked token of a 43-character secret is 115 characters; anything longer is refused
MAX_TOKEN_LENGTH = 256


def new_secret() -> str:
    """256 random bits, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def mask(secret: str) -> str:
    """``secret`` hidden behind a fresh random pad: a new token for every page."""
    raw = secret.encode("ascii")
    pad = secrets.token_bytes(len(raw))
    mixed = bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    return base64.urlsafe_b64encode(pad + mixed).rstrip(b"=").decode("ascii")


def unmask(token: str) -> str | None:
    """The secret inside a masked token, or None for anything that is not one."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(data) % 2:
        return None
    half = len(data) // 2
    raw = bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True))
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return None


def same_secret(expected: str, given: str | None) -> bool:
    """Whether ``given`` is the secret itself or a masked form of it (constant-time)."""
    if not expected or not isinstance(given, str) or len(given) > MAX_TOKEN_LENGTH:
        return False
    candidate = given if len(given) == len(expected) else unmask(given)
    if candidate is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), candidate.encode("utf-8", "replace"))


def _signature(key: bytes, secret: str, login: str) -> str:
    digest = hmac.new(key, f"{secret}|{login}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_cookie(key: bytes, secret: str, login: str) -> str:
    """The double-submit cookie's value: the secret and its signature for ``login``."""
    return f"{secret}.{_signature(key, secret, login)}"


def cookie_secret(key: bytes, value: str | None, login: str) -> str | None:
    """The secret of a cookie signed here for ``login``; None if absent, forged or not theirs."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    secret, dot, signature = value.partition(".")
    if not dot or not secret:
        return None
    expected = _signature(key, secret, login)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        return None
    return secret
