"""request.allowed_hosts: HostPolicy.allows never raises; check_host_pattern only ValueError."""

from __future__ import annotations

import fuzzlib

from pegboard.hosts import HostPolicy, _split, check_host_pattern

POLICY = HostPolicy(["example.com", ".example.org", "pinned.test:8443", "[::1]", "127.0.0.1"])
SEEDS = [
    b"\x00example.com",
    b"\x00a.b.example.org:80\nexample.com.",
    b"\x00[::1]:8080\nexample.org.evil.com",
    b"\x00https://example.com/\n.example.com",
    b"\x03ex\xc3\xa4mple.com\n\xed\xa0\x80",
]


def fuzz_one(data: bytes) -> None:
    host, pattern = fuzzlib.fields(data, 2)
    answer = POLICY.allows(host)
    assert answer in (True, False)
    if answer:
        split = _split(host)
        assert split is not None, host
        assert split[0].endswith(
            ("example.com", "example.org", "pinned.test", "[::1]", "127.0.0.1")
        )
    try:
        checked = check_host_pattern(pattern)
    except ValueError:
        return
    assert HostPolicy([checked]).allows(host) in (True, False)
