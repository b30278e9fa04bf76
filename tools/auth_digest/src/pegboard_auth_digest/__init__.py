"""HTTP Digest authentication (RFC 7616) for pegboard: the ``auth_digest`` tool.

Switch it on per path with ``tools.auth_digest.on = true``, a ``realm`` and
a nonce ``key``; HA1s come from a dict of passwords (``users``), an Apache
htdigest file (``htdigest``) or a callable (``get_ha1``). See the package
README for every option.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .algorithms import ALGORITHMS, Algorithm, request_digest, response_auth, userhash
from .authenticator import DigestAuthenticator
from .header import DigestCredentials, MalformedHeader, parse_credentials
from .tool import DigestAuthTool

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "DigestAuthTool",
    "DigestAuthenticator",
    "DigestCredentials",
    "MalformedHeader",
    "parse_credentials",
    "pegboard_app_stop",
    "pegboard_tools",
    "request_digest",
    "response_auth",
    "userhash",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    """A fresh tool per app, so files and nonce stores are never shared between apps."""
    return [DigestAuthTool()]


@pegboard.hookimpl
def pegboard_app_stop(app: Any) -> None:
    """Close the Redis connections the app's auth_digest tool opened."""
    tool = app.tools.get("auth_digest")
    if isinstance(tool, DigestAuthTool):
        tool.close()
