"""CSRF protection for pegboard: every unsafe request of a path, by config.

``tools.csrf.on = true`` refuses POST, PUT, PATCH, DELETE (any method but
GET, HEAD, OPTIONS and TRACE) sent by another site's page, judged by
``Sec-Fetch-Site`` or ``Origin`` without any token; clients that send neither
must carry the token that ``csrf_token(req)`` (or ``csrf_field(req)``) puts in
a page: bound to the session where sessions are on, else to a signed
double-submit cookie. A refusal is a 403 page, or problem+json by Accept.
"""

from __future__ import annotations

import pegboard

from .options import SESSION_KEY, CsrfOptions, normalise_origin
from .refusal import PROBLEM_TYPE, refusal_page
from .tokens import mask, unmask
from .tool import CHECK_PRIORITY, SAFE_METHODS, CsrfTool, Guard, csrf_field, csrf_token

__all__ = [
    "CHECK_PRIORITY",
    "PROBLEM_TYPE",
    "SAFE_METHODS",
    "SESSION_KEY",
    "CsrfOptions",
    "CsrfTool",
    "Guard",
    "csrf_field",
    "csrf_token",
    "mask",
    "normalise_origin",
    "pegboard_tools",
    "refusal_page",
    "unmask",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [CsrfTool()]
