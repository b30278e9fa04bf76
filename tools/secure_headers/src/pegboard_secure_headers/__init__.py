"""Security headers for pegboard, switched on per path with safe defaults.

``tools.secure_headers.on = true`` sends HSTS (over HTTPS), a
Content-Security-Policy with a per-response nonce (``csp_nonce(req)`` for
templates), X-Frame-Options, Referrer-Policy, Permissions-Policy, the
Cross-Origin-*-Policy headers and ``X-Content-Type-Options: nosniff`` on every
response of the path, error pages included. Deeper config sections override.
"""

from __future__ import annotations

import pegboard

from .headers import HeaderValues, csp_text, permissions_text
from .options import DEFAULT_CSP, DEFAULT_PERMISSIONS_POLICY, SecureHeadersOptions
from .tool import HEADERS_PRIORITY, SecureHeadersTool, csp_nonce

__all__ = [
    "DEFAULT_CSP",
    "DEFAULT_PERMISSIONS_POLICY",
    "HEADERS_PRIORITY",
    "HeaderValues",
    "SecureHeadersOptions",
    "SecureHeadersTool",
    "csp_nonce",
    "csp_text",
    "pegboard_tools",
    "permissions_text",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [SecureHeadersTool()]
