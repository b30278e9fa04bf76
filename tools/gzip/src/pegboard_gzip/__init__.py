"""Response compression for pegboard: zstd, br, gzip and deflate, chosen by Accept-Encoding.

Switch it on per path with ``tools.gzip.on = true``. It also inflates
gzip/deflate request bodies when ``decompress_requests`` is on.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .codings import available_codings
from .etags import add_suffix
from .negotiation import parse_accept_encoding
from .tool import DEFAULT_MIME_TYPES, GzipTool

__all__ = [
    "DEFAULT_MIME_TYPES",
    "GzipTool",
    "add_suffix",
    "available_codings",
    "parse_accept_encoding",
    "pegboard_tools",
]


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return [GzipTool()]
