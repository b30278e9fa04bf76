"""X-Forwarded-For/-Host/-Proto (pegboard_http.forwarding): only HeaderError, sane results.

Run alone: ``uv run python fuzz/harnesses/http_x_forwarded.py -max_total_time=60``.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import _http_text

INSTRUMENT = ["pegboard", "pegboard_http"]
SEEDS = [
    b"\x001.1.1.1, 198.51.100.7\n198.51.100.7:8080\nexample.com:8443\nhttps",
    b"\x00[2001:db8::7]:4711,, ::ffff:10.0.0.2\nunknown\nhttps://example.com\non",
    b"\x00198.51.100.7:\xb2\n[::1]:\nexample.com:99999\nHTTP",
]


def fuzz_one(data: bytes) -> None:
    from pegboard.httputil import HeaderError
    from pegboard_http import forwarding

    chain, node, host, proto = _http_text.fields(data, 4)
    count = 1 + (data[0] % 5 if data else 0)
    members = forwarding.rightmost(chain, count)
    assert len(members) <= count
    assert all(m and "," not in m for m in members)
    everything = [m for m in (p.strip(" \t") for p in chain.split(",")) if m]
    assert members == everything[-count:]
    for text in [node, *members]:
        try:
            ip, port = forwarding.parse_node(text)
        except HeaderError:
            continue
        assert port is None or 0 < port < 65536
        if ip.lower() != "unknown" and not ip.startswith("_"):
            ipaddress.ip_address(ip)  # what it returns is an address
    try:
        scheme, name = forwarding.parse_host(host)
        assert scheme in (None, "http", "https")
        assert "/" not in name and "@" not in name
    except HeaderError:
        pass
    for header in ("X-Forwarded-Proto", "X-Forwarded-Ssl"):
        with contextlib.suppress(HeaderError):
            assert forwarding.parse_proto(proto, header) in ("http", "https")


def test_one_input(data: bytes) -> None:
    fuzz_one(data)


if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=INSTRUMENT):
        import pegboard_http.forwarding  # noqa: F401
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
