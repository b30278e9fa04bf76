"""Key cases over a real socket, with real clients (curl, httpx, requests)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import httpx
import pytest
import requests

pytestmark = pytest.mark.timeout(30)


def _curl(*args: str) -> tuple[int, dict[str, str], str]:
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is needed for the live tests")
    out = subprocess.run(
        [curl, "-s", "-i", "--max-time", "5", *args], capture_output=True, check=True, timeout=10
    ).stdout.decode("latin-1")
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def _site(make_app):
    app = make_app(
        {
            "/": {
                "tools.request_id.on": True,
                "tools.proxy.on": True,
                "tools.proxy.remote": "X-Forwarded-For",
                "tools.proxy.scheme": "X-Forwarded-Proto",
                "tools.proxy.local": "X-Forwarded-Host",
                "tools.access_log.on": True,
                "tools.trailing_slash.on": True,
                "tools.encode.on": True,
                "tools.flatten.on": True,
            },
            "/api": {
                "tools.allow.on": True,
                "tools.allow.methods": ["GET", "POST"],
                "tools.accept.on": True,
                "tools.accept.media": ["application/json", "text/plain"],
            },
            "/old": {"tools.redirect.on": True, "tools.redirect.url": "/docs/"},
        }
    )

    @app.route("/api/item")
    def item(req, resp):
        resp.headers["Content-Type"] = req.accept_media
        if req.accept_media == "application/json":
            return json.dumps({"item": 1})
        return "item 1"

    @app.route("/who")
    def who(req, resp):
        return f"{req.remote.ip} {req.base}"

    app.route("/docs/", lambda req, resp: "the docs")
    app.route("/old", lambda req, resp: "never shown")
    app.route("/café", lambda req, resp: "Grüße")

    @app.route("/nested")
    def nested(req, resp):
        return ((f"{i}," for _ in range(1)) for i in range(5))

    return app


def test_curl_sees_405_with_allow(make_app, live_server):
    server = live_server(_site(make_app))
    status, headers, _ = _curl("-X", "DELETE", f"{server.url}/api/item")
    assert status == 405
    assert headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert len(headers["x-request-id"]) == 32


def test_httpx_negotiation_and_charsets(make_app, live_server):
    server = live_server(_site(make_app))
    with httpx.Client(base_url=server.url, timeout=5) as client:
        as_json = client.get("/api/item", headers={"Accept": "application/json"})
        assert as_json.json() == {"item": 1}
        assert as_json.headers["vary"] == "Accept"
        plain = client.get("/api/item", headers={"Accept": "text/*"})
        assert plain.text == "item 1"
        assert client.get("/api/item", headers={"Accept": "image/png"}).status_code == 406
        assert client.get("/api/item", headers={"Accept": "text/html;q=x"}).status_code == 400
        latin = client.get("/caf%C3%A9", headers={"Accept-Charset": "iso-8859-1"})
        assert latin.headers["content-type"] == "text/html; charset=iso-8859-1"
        assert latin.content == "Grüße".encode("latin-1")
        assert latin.text == "Grüße"


def test_requests_redirects_streams_and_access_log(make_app, live_server, log_records):
    records = log_records("pegboard.access")
    server = live_server(_site(make_app))
    with requests.Session() as session:
        followed = session.get(f"{server.url}/docs", timeout=5)
        assert followed.status_code == 200
        assert followed.text == "the docs"
        assert [r.status_code for r in followed.history] == [301]
        internal = session.get(f"{server.url}/old", headers={"User-Agent": "live-test"}, timeout=5)
        assert internal.text == "the docs"
        assert internal.history == []
        with session.get(f"{server.url}/nested", stream=True, timeout=5) as streamed:
            assert b"".join(streamed.iter_content(None)) == b"0,1,2,3,4,"
    # a line is written when the server closes the body, just after the client has it
    deadline = time.monotonic() + 2
    while len(records.messages) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = records.messages
    assert len(lines) == 4  # the internal redirect is one line
    assert '"GET /docs HTTP/1.1" 301' in lines[0]
    old = next(line for line in lines if '"GET /old HTTP/1.1"' in line)
    assert old.endswith(f'"live-test" "{internal.headers["X-Request-Id"]}"')
    assert '"GET /nested HTTP/1.1" 200 10 ' in lines[3]


def test_forwarded_for_from_a_trusted_proxy_with_curl(make_app, forwarding_server):
    server = forwarding_server(_site(make_app))
    _, _, body = _curl(
        "-H", "X-Forwarded-For: 1.1.1.1, 198.51.100.7",
        "-H", "X-Forwarded-Proto: https",
        "-H", "X-Forwarded-Host: www.example.com",
        f"{server.url}/who",
    )  # fmt: skip
    assert body == "198.51.100.7 https://www.example.com"


def test_spoofed_forwarded_for_from_an_untrusted_peer_with_curl(make_app, forwarding_server):
    app = _site(make_app)
    app.config.sections["/"]["tools.proxy.trusted"] = ["10.0.0.0/8"]
    server = forwarding_server(app)
    status, _, body = _curl(
        "-H", "X-Forwarded-For: 198.51.100.7",
        "-H", "Forwarded: for=198.51.100.8;proto=https",
        f"{server.url}/who",
    )  # fmt: skip
    assert status == 200
    assert body.startswith("127.0.0.1 http://127.0.0.1:")
