"""Cookie header: parse_cookie_header never raises and gives str names and values; Cookie refuses
only with ValueError."""

from __future__ import annotations

import fuzzlib

from pegboard import Cookie, parse_cookie_header

SEEDS = [
    b"\x00session_id=abc; theme=dark",
    b'\x00a="quoted"; b=; =nameless; c=1=2',
    b"\x00;;; a ; b=\x80\xff; a=second",
    b"\x03caf\xc3\xa9=\xed\xa0\x80",
]


def fuzz_one(data: bytes) -> None:
    header = fuzzlib.text(data)
    cookies = parse_cookie_header(header)
    for name, value in cookies.items():
        assert isinstance(name, str) and isinstance(value, str)
        assert name and name == name.strip() and ";" not in name
        try:
            cookie = Cookie(name, value)
        except ValueError:
            continue  # a name or value a Set-Cookie line cannot carry: refused, not sent
        line = cookie.header_value()
        assert "\r" not in line and "\n" not in line
