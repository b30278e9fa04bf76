"""ETag and Last-Modified validation for pegboard (RFC 9110 conditional requests)."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
