"""The form login's two callables, named in site.toml as import strings.

!!! DEMO ONLY !!! ``DEMO_USERS`` holds public, plain-text passwords so that
anybody can try the login. A real site checks a password hash from its user
database (bcrypt, argon2), never a dict in the code.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pegboard
from pegboard_http import request_id_of
from pegboard_secure_headers import csp_nonce

from . import pages
from .assets import load_manifest, static_url

#: DEMO ONLY: user name -> password. Never deploy these.
DEMO_USERS = {"alice": "demo-alice-password", "bob": "demo-bob-password"}

#: Where session_auth keeps the user name in the session (its default ``session_key``).
SESSION_KEY = "username"

_MANIFEST = load_manifest()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def check_login(username: str, password: str) -> bool:
    """session_auth's ``check_username_and_password``: True to let the user in.

    Compares fixed-length hashes in constant time, and does the same work for
    an unknown user as for a wrong password, so timing says nothing.
    """
    expected = DEMO_USERS.get(username, "")
    same = hmac.compare_digest(_digest(password), _digest(expected))
    return same and username in DEMO_USERS


def login_screen(
    *, from_page: str, username: str, error_msg: str, csrf_token: str, action: str, **_: Any
) -> str:
    """session_auth's ``login_screen``: the login form in the site's own layout."""
    req = pegboard.request
    return pages.layout(
        "Sign in",
        pages.login(
            action=action,
            from_page=from_page,
            username=username,
            error=error_msg,
            csrf_token=csrf_token,
        ),
        css=static_url(_MANIFEST, "app.css"),
        icon=static_url(_MANIFEST, "favicon.svg"),
        current="/account",
        request_id=request_id_of(req),
        nonce=csp_nonce(req),
    )
