"""Response compression for pegboard: gzip, deflate, br and zstd."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
