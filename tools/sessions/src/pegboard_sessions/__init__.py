"""Server-side sessions for pegboard: RAM, file, Redis, Memcached, PostgreSQL."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
