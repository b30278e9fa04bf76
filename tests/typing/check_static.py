"""Type-checked, not run: pegboard_static's functions and options keep their types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_type

import pegboard_static
from pegboard import Request, Response


def download(req: Request, resp: Response) -> Iterable[bytes] | bytes:
    body = pegboard_static.serve_download("/srv/report.pdf", "report.pdf", req=req, resp=resp)
    assert_type(body, Iterable[bytes] | bytes)
    return body


options = pegboard_static.StaticDirOptions(dir="public", max_age=60)
assert_type(options.dir, str)
assert_type(options.max_age, int | None)
assert_type(options.content_types, dict[str, str] | None)
assert_type(pegboard_static.StaticFileOptions(filename="favicon.ico").filename, str)
