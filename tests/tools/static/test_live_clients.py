"""Ranges and conditional requests with real clients over a real socket: curl, httpx, requests."""

from __future__ import annotations

import os
import subprocess
from email.utils import formatdate

import httpx
import pytest
import requests


@pytest.fixture
def server(static_app, live_server):
    return live_server(static_app(max_age=60))


def _curl(*args: str) -> tuple[dict[str, str], bytes]:
    """Run curl; return the last response's headers (lower-cased names) and body."""
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", "--include", *args],
        capture_output=True,
        timeout=30,
        check=True,
    )
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {"status": lines[0].split(" ")[1]}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body


def test_curl_ranges(server, site, byteranges):
    url = f"{server.url}/static/big.bin"
    headers, body = _curl("-r", "100-199", url)
    assert headers["status"] == "206"
    assert headers["content-range"] == "bytes 100-199/300000"
    assert body == site.big[100:200]
    headers, body = _curl("-r", "-10", url)
    assert body == site.big[-10:]
    headers, body = _curl("-r", "0-9,1000-1009,299990-", url)
    parts = byteranges(headers["content-type"], body)
    assert [data for _, _, data in parts] == [site.big[:10], site.big[1000:1010], site.big[299990:]]
    headers, _ = _curl("-r", "400000-", url)
    assert (headers["status"], headers["content-range"]) == ("416", "bytes */300000")


def test_curl_conditionals(server, site):
    url = f"{server.url}/static/a.txt"
    headers, body = _curl(url)
    assert headers["status"] == "200"
    assert headers["accept-ranges"] == "bytes"
    etag = headers["etag"]
    headers, body = _curl("-H", f"If-None-Match: {etag}", url)
    assert (headers["status"], body) == ("304", b"")
    assert headers["etag"] == etag
    assert headers["cache-control"] == "max-age=60"
    assert "content-length" not in headers and "last-modified" not in headers
    mtime = int(os.stat(site.public / "a.txt").st_mtime)
    # curl -z DATE sends If-Modified-Since; -z -DATE sends If-Unmodified-Since.
    headers, _ = _curl("-z", formatdate(mtime, usegmt=True), url)
    assert headers["status"] == "304"
    headers, body = _curl("-z", formatdate(mtime - 60, usegmt=True), url)
    assert (headers["status"], body) == ("200", b"hello, static world\n")
    headers, _ = _curl("-z", "-" + formatdate(mtime - 60, usegmt=True), url)
    assert headers["status"] == "412"


def test_httpx_range_if_range_and_if_none_match(server, site, byteranges):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        full = client.get("/static/big.bin")
        assert full.status_code == 200
        assert full.content == site.big
        etag = full.headers["etag"]
        part = client.get("/static/big.bin", headers={"Range": "bytes=5-14", "If-Range": etag})
        assert part.status_code == 206
        assert part.content == site.big[5:15]
        stale = client.get("/static/big.bin", headers={"Range": "bytes=5-14", "If-Range": '"old"'})
        assert stale.status_code == 200
        assert len(stale.content) == 300000
        multi = client.get("/static/big.bin", headers={"Range": "bytes=0-0,-1"})
        parts = byteranges(multi.headers["content-type"], multi.content)
        assert [data for _, _, data in parts] == [site.big[:1], site.big[-1:]]
        cached = client.get("/static/big.bin", headers={"If-None-Match": f'"x", {etag}'})
        assert cached.status_code == 304
        assert cached.content == b""


def test_requests_range_and_if_none_match(server, site):
    with requests.Session() as session:
        first = session.get(f"{server.url}/static/big.bin", timeout=10)
        assert first.content == site.big
        part = session.get(
            f"{server.url}/static/big.bin", headers={"Range": "bytes=-100"}, timeout=10
        )
        assert part.status_code == 206
        assert part.headers["Content-Range"] == "bytes 299900-299999/300000"
        assert part.content == site.big[-100:]
        again = session.get(
            f"{server.url}/static/big.bin",
            headers={"If-None-Match": first.headers["ETag"]},
            timeout=10,
        )
        assert again.status_code == 304
        assert (
            session.head(f"{server.url}/static/big.bin", timeout=10).headers["Content-Length"]
            == "300000"
        )
        refused = session.post(f"{server.url}/static/big.bin", data=b"x", timeout=10)
        assert refused.status_code == 405
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
