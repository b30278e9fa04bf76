"""HTTP Digest authentication (RFC 7616) for pegboard."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
