"""Per-session CSRF tokens: random, kept in the session, compared in constant time."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "CSRF_SESSION_KEY", "csrf_token", "csrf_valid"]

#: Where the token is kept in the session.
CSRF_SESSION_KEY = "_pegboard_csrf_token"
#: The form field that carries the token back.
CSRF_FIELD = "csrf_token"
#: The request header that may carry it instead (for scripts that post with fetch()).
CSRF_HEADER = "X-CSRF-Token"
#: A token is 43 characters; anything much longer is refused before it is compared.
_MAX_LENGTH = 128


def new_csrf_token() -> str:
    """A fresh token: 256 random bits, base64url."""
    return secrets.token_urlsafe(32)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The CSRF token of ``session``, created and stored on first use.

    Put it in every form that posts to ``do_login`` or ``do_logout``, as the
    hidden field ``csrf_token`` (or send it as the ``X-CSRF-Token`` header).
    """
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], given: str | None) -> bool:
    """Whether ``given`` is this session's token; compared in constant time."""
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    if not isinstance(given, str) or not given or len(given) > _MAX_LENGTH:
        return False
    # Bytes: compare_digest refuses str with non-ASCII characters, which a client may send.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
