"""The ``gzip`` tool: the hooks it attaches, built once per compiled plan."""

from __future__ import annotations

import pegboard
from pegboard import HookDoc, PlanBuilder
from pegboard.httputil import MediaTypeMatcher

from .codings import available_codings, make_coding
from .compression import ResponseCompression
from .decompression import decompress_request
from .negotiation import Negotiator
from .options import GzipOptions

__all__ = ["COMPRESS_PRIORITY", "DECOMPRESS_PRIORITY", "NEGOTIATE_PRIORITY", "GzipTool"]

# Priorities (see the README's table): negotiate after the proxy/allow tools,
# decompress before the core reads the body, compress after etags (70) and
# before autovary (85) and caching (90).
NEGOTIATE_PRIORITY = 40
DECOMPRESS_PRIORITY = 50
COMPRESS_PRIORITY = 80


class GzipTool(pegboard.Tool[GzipOptions]):
    """Compress responses (zstd, br, gzip, deflate) by Accept-Encoding; inflate gzip requests."""

    hooks = (
        HookDoc(
            "on_start_resource",
            NEGOTIATE_PRIORITY,
            does="picks the coding from Accept-Encoding; adds the identity form beside "
            "suffixed tags in If-None-Match/If-Match",
        ),
        HookDoc(
            "before_request_body",
            DECOMPRESS_PRIORITY,
            does="with `decompress_requests`: inflates a gzip or deflate request body "
            "(413 past the limit)",
        ),
        HookDoc(
            "before_finalize",
            COMPRESS_PRIORITY,
            does="compresses; `Vary: Accept-Encoding`; a per-coding suffix on a strong ETag "
            "(restored on a 304)",
        ),
        HookDoc("after_error_response", COMPRESS_PRIORITY, does="the same for the 500 page"),
    )

    def __init__(self) -> None:
        super().__init__("gzip", point="before_finalize", priority=COMPRESS_PRIORITY)

    def attach(self, plan: PlanBuilder, options: GzipOptions) -> None:
        """Attach negotiation, optional request decompression and compression.

        ``encodings`` None means every installed coding in the order
        zstd, br, gzip, deflate.
        """
        encodings = options.encodings
        offered = tuple(dict.fromkeys(encodings)) if encodings else available_codings()
        codings = {
            name: make_coding(
                name,
                compress_level=options.compress_level,
                br_quality=options.br_quality,
                zstd_level=options.zstd_level,
            )
            for name in offered
        }
        compression = ResponseCompression(
            Negotiator(offered), codings, MediaTypeMatcher(options.mime_types), options.min_size
        )
        plan.add("on_start_resource", compression.negotiate, NEGOTIATE_PRIORITY)
        if options.decompress_requests:
            plan.add(
                "before_request_body",
                decompress_request,
                DECOMPRESS_PRIORITY,
                args=(options.max_decompressed_size,),
            )
        plan.add("before_finalize", compression.compress, self.priority)
        # The 500 page skips before_finalize; it still gets its Vary (and compression).
        plan.add("after_error_response", compression.compress, COMPRESS_PRIORITY)
