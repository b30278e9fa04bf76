"""The test kit itself: the client's checks and cookie jar, and the live server with real clients."""

import shutil
import subprocess

import httpx
import pytest
import requests

from pegboard.testing import Client


def test_client_json_and_headers(make_app, make_client):
    app = make_app()

    @app.route("/echo")
    def echo(req, resp):
        import json

        resp.headers["Content-Type"] = "application/json"
        return json.dumps({"got": json.loads(req.body.bytes), "h": req.headers.get("X-Test")})

    result = make_client(app).post("/echo", json={"a": 1}, headers={"X-Test": "yes"})
    assert result.json() == {"got": {"a": 1}, "h": "yes"}


def test_validator_catches_a_broken_wsgi_app():
    def broken(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["text, not bytes"]

    with pytest.raises(AssertionError):
        Client(broken).get("/")


def test_cookie_jar_honours_path(make_app, make_client):
    app = make_app()

    @app.route("/a/set")
    def set_cookie(req, resp):
        resp.set_cookie("scoped", "1", path="/a")

    app.route("/a/read", lambda req, resp: req.cookies.get("scoped", "-"))
    app.route("/b/read", lambda req, resp: req.cookies.get("scoped", "-"))
    client = make_client(app)
    client.get("/a/set")
    assert client.get("/a/read").text == "1"
    assert client.get("/b/read").text == "-"
    assert client.cookie("scoped") == "1"


@pytest.fixture
def site(make_app):
    app = make_app({"/": {"tools.response_time.on": True}})

    @app.route("/hello/{name}")
    def hello(req, resp, name):
        return f"Hello, {name}!"

    @app.route("/stream")
    def stream(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        return (f"line {i}\n".encode() for i in range(3))

    @app.route("/upload", methods=["POST"])
    def upload(req, resp):
        return f"{len(req.body.bytes)} bytes"

    return app


def test_live_server_with_httpx_and_requests(site, live_server):
    server = live_server(site)
    r = httpx.get(f"{server.url}/hello/world")
    assert r.status_code == 200
    assert r.text == "Hello, world!"
    assert r.headers["x-response-time"].endswith("ms")
    assert requests.get(f"{server.url}/stream", timeout=5).text == "line 0\nline 1\nline 2\n"
    assert requests.get(f"{server.url}/missing", timeout=5).status_code == 404
    r = httpx.post(f"{server.url}/upload", content=(b"x" for _ in range(1000)))  # chunked upload
    assert r.text == "1000 bytes"
    r = httpx.delete(f"{server.url}/upload")
    assert r.status_code == 405
    assert r.headers["allow"] == "OPTIONS, POST"


def test_live_server_with_curl(site, live_server):
    assert shutil.which("curl"), "curl is part of the test kit's requirements"
    server = live_server(site)
    out = subprocess.run(
        ["curl", "-s", "-i", "--max-time", "5", f"{server.url}/hello/curl"],
        capture_output=True,
        check=True,
    )
    head, _, body = out.stdout.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK")
    assert "Content-Length: 12" in head
    assert body == "Hello, curl!"
    head_only = subprocess.run(
        ["curl", "-s", "-I", "--max-time", "5", f"{server.url}/hello/curl"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Content-Length: 12" in head_only.stdout


def test_live_server_stops_promptly_with_a_keep_alive_connection_open(site, live_server):
    import time

    from pegboard.testing import LiveServer

    server = LiveServer(site).start()
    client = httpx.Client()  # keeps its connection open, as a browser does
    assert client.get(f"{server.url}/hello/x").status_code == 200
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    client.close()
