"""Key functions the tests name by import string (``ratelimit_keyfuncs:by_token``, with this folder on sys.path)."""

from __future__ import annotations

import pegboard


def by_token(req: pegboard.Request) -> str | None:
    """Count by the X-Api-Token header; requests without one are not counted."""
    return req.headers.get("X-Api-Token")


def by_login_or_none(req: pegboard.Request) -> str | None:
    """Count logged-in users only (for after_login)."""
    return req.login


NOT_A_FUNCTION = 42
