"""``GzipOptions``: the gzip tool's options, their meanings, and the checks between them."""

from __future__ import annotations

from typing import Literal

import pegboard
from pegboard import OptionError
from pegboard.httputil import is_media_pattern

from .codings import missing_extra

__all__ = ["DEFAULT_MIME_TYPES", "CodingName", "GzipOptions"]

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

_RANGES = {
    "compress_level": (0, 9),
    "br_quality": (0, 11),
    "zstd_level": (1, 22),
}


class GzipOptions(pegboard.ToolOptions):
    """Options of ``tools.gzip``; checked when the app starts."""

    compress_level: int = pegboard.option(
        default=5, doc="gzip and deflate level, 0 (stored) to 9 (smallest, slowest)"
    )
    mime_types: tuple[str, ...] = pegboard.option(
        default=DEFAULT_MIME_TYPES,
        doc="the types to compress: `type/subtype`, `type/*`, `type/*+suffix` or `*/*`; "
        "parameters are ignored",
    )
    encodings: tuple[CodingName, ...] | None = pegboard.option(
        default=None,
        doc="the codings offered, in the server's order of preference; none: every installed "
        "one, in the order zstd, br, gzip, deflate",
    )
    min_size: int = pegboard.option(
        default=256,
        doc="bodies shorter than this go out uncompressed; a stream is compressed unless it "
        "declares a smaller Content-Length",
        unit="bytes",
    )
    br_quality: int = pegboard.option(default=4, doc="brotli quality, 0 to 11")
    zstd_level: int = pegboard.option(default=3, doc="zstandard level, 1 to 22")
    decompress_requests: bool = pegboard.option(
        default=False,
        doc="inflate request bodies sent with `Content-Encoding: gzip`, `x-gzip` or `deflate`",
    )
    max_decompressed_size: int | None = pegboard.option(
        default=None,
        doc="413 when an inflated request body would be larger; none: the path's "
        "`request.max_body_size`",
        unit="bytes",
    )

    def __post_init__(self) -> None:
        for name, (low, high) in _RANGES.items():
            value: int = getattr(self, name)
            if not low <= value <= high:
                raise OptionError(name, f"must be between {low} and {high}, got {value}")
        for name in ("min_size", "max_decompressed_size"):
            size: int | None = getattr(self, name)
            if size is not None and size < 0:
                raise OptionError(name, f"must not be negative, got {size}")
        for pattern in self.mime_types:
            if not is_media_pattern(pattern):
                raise OptionError(
                    "mime_types",
                    f"{pattern!r} is not a media type pattern such as 'text/html', "
                    "'text/*' or 'application/*+json'",
                )
        if self.encodings is not None:
            if not self.encodings:
                raise OptionError("encodings", "lists no coding; switch the tool off instead")
            for coding in self.encodings:
                extra = missing_extra(coding)
                if extra is not None:
                    raise OptionError(
                        "encodings",
                        f"{coding!r} needs the {extra!r} extra: "
                        f"pip install 'pegboard-gzip[{extra}]'",
                    )
