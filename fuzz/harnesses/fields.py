"""Field grammar: lists, parameters, quoting and q-values raise only HeaderError."""

from __future__ import annotations

from collections.abc import Callable

import fuzzlib

from pegboard import httputil

SEEDS = [
    b'\x00a, "b, c", d; e="f\\"g"',
    b"\x00; charset=utf-8; q=0.5",
    b'\x00"unterminated, x',
    b"\x00Accept-Encoding, Cookie, *",
]


def _header_error_only(call: Callable[..., object], *args: str) -> object:
    try:
        return call(*args)
    except httputil.HeaderError:
        return None


def fuzz_one(data: bytes) -> None:
    value = fuzzlib.text(data)
    _header_error_only(httputil.split_list, value)
    _header_error_only(httputil.split_list, value, ";")
    _header_error_only(httputil.parse_parameters, value)
    _header_error_only(httputil.unquote_string, value)
    quoted = _header_error_only(httputil.quote_string, value)
    if isinstance(quoted, str):
        assert httputil.unquote_string(quoted) == value
    checked = _header_error_only(httputil.check_field_value, value)
    assert (checked is not None) == httputil.is_valid_field_value(value)
    for name in httputil.parse_field_names(value):
        assert httputil.is_token(name)
    q = httputil.parse_qvalue(value)
    assert q is None or 0.0 <= q <= 1.0
