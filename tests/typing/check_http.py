"""Type-checked, not run: the accessors and options of pegboard-http keep their types.

mypy (strict, in CI) fails if one of them loses its type (say, to ``Any``).
"""

from __future__ import annotations

from typing import Any, Literal, assert_type

import pegboard
import pegboard_http
from pegboard import Request, Response
from pegboard_http import (
    ProxyInfo,
    accept_media_of,
    autovary_read_of,
    proxy_info_of,
    request_id_of,
)


def handler(req: Request, resp: Response) -> str:
    assert_type(request_id_of(req), str | None)
    assert_type(accept_media_of(req), str | None)
    assert_type(autovary_read_of(req), dict[str, str] | None)
    info = proxy_info_of(req)
    assert_type(info, ProxyInfo | None)
    if info is not None:
        assert_type(info.peer, pegboard.Remote)
        assert_type(info.remote, pegboard.Remote)
        assert_type(info.host, str | None)
        assert_type(info.scheme, str | None)
        assert_type(info.trusted, bool)
    return "ok"


proxy = pegboard_http.ProxyOptions(remote="X-Forwarded-For", scheme="X-Forwarded-Proto", hops=2)
assert_type(proxy.hops, int)
assert_type(proxy.trusted, list[str] | None)
assert_type(proxy.forwarded, bool)
assert_type(pegboard_http.EncodeOptions().encoding, str | None)
assert_type(pegboard_http.DecodeOptions().default_encoding, str | list[str])
assert_type(pegboard_http.AccessLogOptions().format, Literal["combined", "common", "json"])
assert_type(pegboard_http.RequestIdOptions().trusted, list[str] | None)
assert_type(pegboard_http.TOOLS, tuple[pegboard.Tool[Any], ...])
