"""CORS for pegboard: the Fetch standard's protocol, switched on per path.

``tools.cors.on = true`` with ``tools.cors.origins = ["https://app.example"]``
lets that origin's scripts read the path's responses. Preflights are answered
before authentication and without the handler; every response whose headers
depend on the request's ``Origin`` says so in ``Vary``.
"""

from __future__ import annotations

import pegboard

from .options import DEFAULT_METHODS, CorsOptions
from .origins import OriginPolicy, normalise_origin
from .tool import PREFLIGHT_PRIORITY, RESPONSE_PRIORITY, CorsPolicy, CorsTool

__all__ = [
    "DEFAULT_METHODS",
    "PREFLIGHT_PRIORITY",
    "RESPONSE_PRIORITY",
    "CorsOptions",
    "CorsPolicy",
    "CorsTool",
    "OriginPolicy",
    "normalise_origin",
    "pegboard_tools",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [CorsTool()]
