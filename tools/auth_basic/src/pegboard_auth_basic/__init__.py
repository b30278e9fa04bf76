"""HTTP Basic authentication (RFC 7617) for pegboard."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
