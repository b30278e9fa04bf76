"""staticdir and staticfile for pegboard: safe, with ranges, validators and precompressed files."""

from __future__ import annotations

from typing import Any

import pegboard


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return []
