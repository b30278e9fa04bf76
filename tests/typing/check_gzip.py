"""Type-checked, not run: pegboard_gzip's accessor and options keep their types under mypy strict."""

from __future__ import annotations

from typing import Literal, assert_type

import pegboard_gzip
from pegboard import Request, Response


def handler(req: Request, resp: Response) -> str:
    coding = pegboard_gzip.coding_of(req)
    assert_type(coding, str | None)
    return coding or "identity"


options = pegboard_gzip.GzipOptions(compress_level=9, encodings=("br", "gzip"))
assert_type(options.compress_level, int)
assert_type(options.encodings, tuple[Literal["zstd", "br", "gzip", "deflate"], ...] | None)
assert_type(options.max_decompressed_size, int | None)
assert_type(options.mime_types, tuple[str, ...])
