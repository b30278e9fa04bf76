"""Sessions over a real socket: a real client, a real server, a client that hangs up."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import requests


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_counter_over_http_with_a_real_client(backend, counter_app, live_server):
    server = live_server(counter_app(backend))
    with requests.Session() as http:
        first = http.get(server.url + "/incr", timeout=10)
        assert first.status_code == 200 and first.text == "1"
        raw = first.headers["Set-Cookie"]
        assert "HttpOnly" in raw and "SameSite=Lax" in raw
        assert first.headers["Vary"] == "Cookie"
        assert [http.get(server.url + "/incr", timeout=10).text for _ in range(3)] == [
            "2",
            "3",
            "4",
        ]
        assert http.get(server.url + "/noop", timeout=10).headers.get("Set-Cookie") is None


@pytest.mark.parametrize("backend", ["ram", "postgresql"], indirect=True)
def test_a_client_that_hangs_up_mid_body_releases_the_lock(backend, counter_app, live_server):
    app = counter_app(backend, lock_timeout=5)

    @app.route("/slow")
    def slow(req: Any, resp: Any) -> Any:
        req.session["streaming"] = True  # locks the session for the rest of the request

        def body() -> Any:
            for i in range(2000):
                time.sleep(0.005)
                yield b"x" * 1024 + b"%d\n" % i

        return body()

    server = live_server(app)
    with requests.Session() as http:
        http.get(server.url + "/start", timeout=10)
        cookie = http.cookies["session_id"]
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"GET /slow HTTP/1.1\r\nHost: x\r\nCookie: session_id="
                + cookie.encode()
                + b"\r\n\r\n"
            )
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        # The connection was reset mid-body; the server closes the body and the lock goes.
        began = time.monotonic()
        result = http.get(server.url + "/incr", timeout=10)
        assert result.status_code == 200 and result.text == "1"
        assert time.monotonic() - began < 3  # far less than the 10 s the body would take
