"""Authorization: parse_authorization and parse_auth_params raise only HeaderError."""

from __future__ import annotations

import contextlib

import fuzzlib

from pegboard import httputil

SEEDS = [
    b"\x00Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    b'\x00Digest username="Mufasa", realm="http-auth@example.org", nc=00000001, qop=auth',
    b'\x00Digest a="x\\"y",, b=c',
    b"\x00Bearer",
]


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    try:
        credentials = httputil.parse_authorization(value)
    except httputil.HeaderError:
        credentials = None
    if credentials is not None:
        assert httputil.is_token(credentials.scheme)
        assert credentials.token68 is None or not credentials.params
        for name in credentials.params:
            assert name == name.lower() and httputil.is_token(name)
    with contextlib.suppress(httputil.HeaderError):
        httputil.parse_auth_params(value)
