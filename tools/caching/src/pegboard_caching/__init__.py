"""An RFC 9111 HTTP response cache for pegboard, on memory, Redis or Memcached."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
