"""Small request/response tools for pegboard: allow, accept, proxy, referer, trailing_slash, logging and more."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
