"""Session ids: 256 random bits, base64url, validated before they reach a store."""

from __future__ import annotations

import re
import secrets

__all__ = ["ID_BYTES", "ID_PATTERN", "is_valid_id", "new_id"]

#: 32 random bytes = 256 bits, as DESIGN.md asks; base64url gives 43 characters.
ID_BYTES = 32
#: What an id :func:`new_id` makes looks like (``ID_PATTERN.fullmatch(value)``).
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_id() -> str:
    """A fresh session id from the operating system's CSPRNG."""
    return secrets.token_urlsafe(ID_BYTES)


def is_valid_id(value: str) -> bool:
    """Whether ``value`` looks exactly like an id :func:`new_id` makes.

    Anything else from a client (path separators, NUL, oversized values) is
    dropped before it can become a store key or a file name.
    """
    return ID_PATTERN.fullmatch(value) is not None
