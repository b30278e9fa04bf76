"""Wrapped Flask, Django and Falcon apps over real sockets: waitress, httpx and curl, Redis sessions.

One live server per framework (the ``live_server`` fixture), and ``pegboard
serve`` / ``pegboard routes`` run for real on a file that wraps a Flask app.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .apps import DATA, FRAMEWORKS
from .conftest import ALICE, tool_config

ALL_TOOLS = frozenset({"sessions", "auth_basic", "caching", "gzip", "etags"})


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(":".join(ALICE).encode()).decode()}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_wrapped_app_over_a_real_server(
    wrap_site: Any, live_server: Any, redis_server: Any, framework: str
) -> None:
    section = tool_config(ALL_TOOLS, "redis", redis_server.url)
    # The stream's section turns off what would buffer it (the cache's store, body ETags).
    stream = {f"tools.{tool}.on": False for tool in ("auth_basic", "caching", "etags")}
    config = {"/": {**section, "tools.json_in.on": True}, "/stream": stream}
    app, counters = wrap_site(framework, config)
    server = live_server(app)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/data").status_code == 401
        assert counters.calls == []
        first = client.get("/data?user=alice", headers={**_auth(), "Accept-Encoding": "gzip"})
        assert first.status_code == 200
        assert first.headers["Content-Encoding"] == "gzip"  # httpx decoded it
        assert first.json() == {**DATA, "user": "alice"}
        assert "session_id" in client.cookies
        etag = first.headers["ETag"]
        again = client.get(
            "/data?user=alice",
            headers={**_auth(), "Accept-Encoding": "gzip", "If-None-Match": etag},
        )
        assert again.status_code == 304 and again.headers["ETag"] == etag
        whoami = client.get("/whoami", headers=_auth())
        assert whoami.text == "alice"
        echo = client.post("/echo", json={"x": [1, 2]}, headers=_auth())
        assert echo.json() == {"framework": {"x": [1, 2]}, "pegboard": {"x": [1, 2]}}
        with client.stream("GET", "/stream", headers={"Accept-Encoding": "gzip"}) as streamed:
            assert streamed.headers.get("Transfer-Encoding") == "chunked"
            assert b"".join(streamed.iter_bytes()) == b"a" * 2000 + b"b" * 2000 + b"c" * 2000
    deadline = time.monotonic() + 5
    while "closed" not in counters.log and time.monotonic() < deadline:
        time.sleep(0.01)  # the server closes the body after it sent the last chunk
    assert counters.log[-1] == "closed"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_sees_one_encoding_per_etag_around_flask(wrap_site: Any, live_server: Any) -> None:
    app, _ = wrap_site("flask", {"/": tool_config({"gzip", "etags"})})
    server = live_server(app)
    tags = set()
    for coding in ("gzip", "br", "identity"):
        accept = f"Accept-Encoding: {coding}"
        out = subprocess.run(
            ["curl", "-s", "-D", "-", "-o", "/dev/null", "-H", accept, f"{server.url}/data"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        headers = dict(line.split(": ", 1) for line in out.splitlines()[1:] if ": " in line)
        headers = {k.lower(): v for k, v in headers.items()}
        assert out.startswith("HTTP/1.1 200")
        assert headers.get("content-encoding", "identity") == coding
        assert "accept-encoding" in headers["vary"].lower()
        tags.add(headers["etag"])
    assert len(tags) == 3


# -- pegboard serve and pegboard routes on a file that wraps a Flask app -------------------

WRAPPED_FLASK = textwrap.dedent(
    """
    from pathlib import Path

    import flask

    import pegboard
    from pegboard.integrations.flask import init_app

    legacy = flask.Flask(__name__)
    legacy.secret_key = "test only"
    init_app(legacy)


    @legacy.get("/")
    def home():
        flask.session["visits"] = flask.session.get("visits", 0) + 1
        return f"visits: {flask.session['visits']}, " + "padding " * 100


    site = pegboard.wrap(legacy, config=Path(__file__).with_name("site.toml"))
    """
)
SITE_TOML = textwrap.dedent(
    """
    ["/"]
    tools.sessions.on = true
    tools.gzip.on = true
    tools.etags.on = true
    tools.etags.autotags = true
    """
)


def _pegboard() -> list[str]:
    script = Path(sys.executable).with_name("pegboard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pegboard.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pegboard_serve_and_routes_take_a_wrapped_flask_app(tmp_path: Path) -> None:
    (tmp_path / "wrapped_flask.py").write_text(WRAPPED_FLASK)
    (tmp_path / "site.toml").write_text(SITE_TOML)
    target = f"{tmp_path / 'wrapped_flask.py'}:site"
    routes = subprocess.run(
        [*_pegboard(), "routes", target], capture_output=True, text=True, timeout=60
    )
    assert routes.returncode == 0, routes.stderr
    assert "/*  [*]  -> WSGI app flask.app.Flask, tools around it" in routes.stdout
    assert "tools: sessions, gzip, etags" in routes.stdout

    log = tmp_path / "serve.log"
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_pegboard(), "serve", target, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            first = client.get("/", headers={"Accept-Encoding": "gzip"})
            assert first.text.startswith("visits: 1,")
            assert first.headers["Content-Encoding"] == "gzip"
            second = client.get("/", headers={"Accept-Encoding": "gzip"})
            assert second.text.startswith("visits: 2,")  # pegboard's session, across requests
            assert second.headers["ETag"] != first.headers["ETag"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        code = process.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "Traceback" not in output, output
