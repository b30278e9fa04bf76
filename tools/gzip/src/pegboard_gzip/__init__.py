"""Response compression for pegboard: zstd, br, gzip and deflate, chosen by Accept-Encoding.

Switch it on per path with ``tools.gzip.on = true``. It also inflates
gzip/deflate request bodies when ``decompress_requests`` is on.
``coding_of(req)`` tells a handler which coding was chosen for its response.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .codings import available_codings
from .compression import coding_of
from .etags import add_suffix
from .options import DEFAULT_MIME_TYPES, GzipOptions
from .tool import GzipTool

__all__ = [
    "DEFAULT_MIME_TYPES",
    "GzipOptions",
    "GzipTool",
    "add_suffix",
    "available_codings",
    "coding_of",
    "pegboard_tools",
]


def __getattr__(name: str) -> Any:
    if name == "parse_accept_encoding":
        raise AttributeError(
            "pegboard_gzip.parse_accept_encoding is gone: use "
            "pegboard.httputil.parse_accept_encoding (it returns an AcceptEncoding)"
        )
    raise AttributeError(f"module 'pegboard_gzip' has no attribute {name!r}")


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return [GzipTool()]
