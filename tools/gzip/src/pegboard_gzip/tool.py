"""The ``gzip`` tool: its options, their checks, and the hooks it attaches."""

from __future__ import annotations

from typing import Any, Literal

import pegboard
from pegboard import ConfigError, PlanBuilder

from .codings import available_codings, make_coding, missing_extra
from .compression import compress, negotiate
from .decompression import decompress_request
from .mediatypes import MediaTypeMatcher, invalid_pattern
from .negotiation import Negotiator

__all__ = ["DEFAULT_MIME_TYPES", "GzipTool"]

#: Text-like types worth compressing; images, audio and archives are compressed already.
DEFAULT_MIME_TYPES: tuple[str, ...] = (
    "text/*",
    "application/json",
    "application/*+json",
    "application/javascript",
    "application/xml",
    "application/*+xml",
    "image/svg+xml",
)

CodingName = Literal["zstd", "br", "gzip", "deflate"]

# Priorities (see the README's table): negotiate after the proxy/allow tools,
# decompress before the core reads the body, compress after etags (70) and
# before autovary (85) and caching (90).
NEGOTIATE_PRIORITY = 40
DECOMPRESS_PRIORITY = 50
COMPRESS_PRIORITY = 80

_RANGES = {
    "compress_level": (0, 9),
    "br_quality": (0, 11),
    "zstd_level": (1, 22),
}


class GzipTool(pegboard.Tool):
    """Compress responses (zstd, br, gzip, deflate) by Accept-Encoding; inflate gzip requests."""

    points = ("on_start_resource", "before_request_body", "before_finalize", "after_error_response")

    def __init__(self) -> None:
        super().__init__("gzip", point="before_finalize", priority=COMPRESS_PRIORITY)

    def check(self, options: dict[str, Any], section: str) -> None:
        for name, (low, high) in _RANGES.items():
            value = options.get(name)
            if value is not None and not low <= value <= high:
                raise ConfigError(
                    f"must be between {low} and {high}, got {value}",
                    section=section,
                    key=f"tools.gzip.{name}",
                )
        for name in ("min_size", "max_decompressed_size"):
            value = options.get(name)
            if value is not None and value < 0:
                raise ConfigError(
                    f"must not be negative, got {value}", section=section, key=f"tools.gzip.{name}"
                )
        for pattern in options.get("mime_types", ()):
            if invalid_pattern(pattern):
                raise ConfigError(
                    f"{pattern!r} is not a media type pattern such as 'text/html', "
                    "'text/*' or 'application/*+json'",
                    section=section,
                    key="tools.gzip.mime_types",
                )
        encodings = options.get("encodings")
        if encodings is not None:
            if not encodings:
                raise ConfigError(
                    "lists no coding; switch the tool off instead",
                    section=section,
                    key="tools.gzip.encodings",
                )
            for name in encodings:
                extra = missing_extra(name)
                if extra is not None:
                    raise ConfigError(
                        f"{name!r} needs the {extra!r} extra: pip install 'pegboard-gzip[{extra}]'",
                        section=section,
                        key="tools.gzip.encodings",
                    )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: PlanBuilder,
        compress_level: int = 5,
        mime_types: tuple[str, ...] = DEFAULT_MIME_TYPES,
        encodings: tuple[CodingName, ...] | None = None,
        min_size: int = 256,
        br_quality: int = 4,
        zstd_level: int = 3,
        decompress_requests: bool = False,
        max_decompressed_size: int | None = None,
    ) -> None:
        """Attach negotiation, optional request decompression and compression.

        ``encodings`` None means every installed coding in the order
        zstd, br, gzip, deflate.
        """
        offered = tuple(dict.fromkeys(encodings)) if encodings else available_codings()
        codings = {
            name: make_coding(
                name, compress_level=compress_level, br_quality=br_quality, zstd_level=zstd_level
            )
            for name in offered
        }
        negotiator = Negotiator(offered)
        plan.add("on_start_resource", negotiate, NEGOTIATE_PRIORITY, negotiator=negotiator)
        if decompress_requests:
            plan.add(
                "before_request_body",
                decompress_request,
                DECOMPRESS_PRIORITY,
                max_size=max_decompressed_size,
            )
        compress_options: dict[str, Any] = {
            "negotiator": negotiator,
            "codings": codings,
            "media": MediaTypeMatcher(mime_types),
            "min_size": min_size,
        }
        plan.add("before_finalize", compress, self.priority, **compress_options)
        # The 500 page skips before_finalize; it still gets its Vary (and compression).
        plan.add("after_error_response", compress, COMPRESS_PRIORITY, **compress_options)
