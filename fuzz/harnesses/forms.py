"""Query strings and urlencoded bodies (pegboard.forms): str pairs, or a 400/413, any charset."""

from __future__ import annotations

from pegboard import HTTPError
from pegboard.forms import parse_urlencoded

CHARSETS = ["utf-8", "latin-1", "utf-16", "utf-16-be", "utf-32", "cp1252", "shift_jis", "ascii"]
SEEDS = [
    b"\x00a=1&b=2&a=3",
    b"\x00name=caf%C3%A9+au+lait&empty=&=nameless&&x",
    b"\x02%FF%FEn%00=%FF%FEv%00",
    b"\x00bad=%FF%FE%00&pct=%zz&%",
    b"\x01" + b"f=1&" * 300,
]


def fuzz_one(data: bytes) -> None:
    charset = CHARSETS[data[0] % len(CHARSETS)] if data else "utf-8"
    try:
        pairs = parse_urlencoded(data[1:], charset, limit=200)
    except HTTPError as exc:
        assert exc.status in (400, 413), exc.status
        return
    for name, value in pairs:
        assert isinstance(name, str) and isinstance(value, str)
