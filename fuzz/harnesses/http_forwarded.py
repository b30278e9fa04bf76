"""RFC 7239 Forwarded (pegboard_http.forwarding): only HeaderError; elements read from the right.

Run alone: ``uv run python fuzz/harnesses/http_forwarded.py -max_total_time=60``
(or through fuzz/run.py, which finds every file here).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import _http_text

INSTRUMENT = ["pegboard", "pegboard_http"]
SEEDS = [
    b'\x00for="[2001:db8:cafe::17]:4711";proto=https;host=example.com',
    b"\x00for=192.0.2.60;proto=http;by=203.0.113.43, for=198.51.100.17",
    b'\x00for="6.6.6.6, proto=https;host="example.com";for=198.51.100.7',
    b'\x00for=_hidden;by="_x:_y", for=unknown',
    b'\x00a="x\\"y", b="q,r"',
]


def fuzz_one(data: bytes) -> None:
    from pegboard.httputil import HeaderError
    from pegboard_http import forwarding

    value = _http_text.text(data)
    count = 1 + (data[0] % 4 if data else 0)
    try:
        elements = forwarding.rightmost_elements(value, count)
    except HeaderError:
        elements = []
    assert len(elements) <= count
    for element in elements:
        assert element and element == element.strip(" \t")
        try:
            parsed = forwarding.parse_forwarded_element(element)
        except HeaderError:
            continue
        for node in (parsed.for_, parsed.by):
            if node is not None:
                try:
                    _ip, port = forwarding.parse_node(node, "Forwarded")
                except HeaderError:
                    continue
                assert port is None or 0 < port < 65536
        if parsed.host is not None:
            with contextlib.suppress(HeaderError):
                forwarding.parse_host(parsed.host, "Forwarded")
        if parsed.proto is not None:
            with contextlib.suppress(HeaderError):
                assert forwarding.parse_proto(parsed.proto, "Forwarded") in ("http", "https")
    try:
        full = forwarding.parse_forwarded(value)
    except HeaderError:
        return
    # Where the whole header parses, reading from the right agrees with reading it all.
    tail = [forwarding.parse_forwarded_element(e) for e in forwarding.rightmost_elements(value, 4)]
    assert tail == full[-4:]


def test_one_input(data: bytes) -> None:
    fuzz_one(data)


if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=INSTRUMENT):
        import pegboard_http.forwarding  # noqa: F401
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
