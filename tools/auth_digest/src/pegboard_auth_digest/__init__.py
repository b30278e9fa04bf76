"""HTTP Digest authentication (RFC 7616) for pegboard: the ``auth_digest`` tool.

Switch it on per path with ``tools.auth_digest.on = true``, a ``realm`` and
a nonce ``key``; HA1s come from a dict of passwords (``users``), an Apache
htdigest file (``htdigest``) or a callable (``get_ha1``). See the package
README for every option.
"""

from __future__ import annotations

import pegboard

from .algorithms import ALGORITHMS, Algorithm, request_digest, response_auth, userhash
from .authenticator import DigestAuthenticator
from .header import DigestCredentials, MalformedHeader, parse_credentials
from .tool import DigestAuthOptions, DigestAuthTool

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "DigestAuthOptions",
    "DigestAuthTool",
    "DigestAuthenticator",
    "DigestCredentials",
    "MalformedHeader",
    "parse_credentials",
    "pegboard_tools",
    "request_digest",
    "response_auth",
    "userhash",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    """The tool; its files and nonce stores live in each app's ``app.state``."""
    return [DigestAuthTool()]
