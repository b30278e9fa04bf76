"""CherryPy's Tutorial 8 and its pegboard port answer the same requests the same way.

Both run as the tutorial says to run them, from this folder, on live ports:
the original under CherryPy (its own ``__main__`` block, the port moved off
8080), the port under ``pegboard serve``. One script of requests, the
tutorial's own (the page, its stylesheet, and the Ajax calls the page makes:
POST, GET, PUT and DELETE on /generator), is sent to each with a
``requests.Session``, and what a client observes is compared: status,
media type, charset, the body (generated strings by their shape and by
coming back on the next GET), and the session cookie. Error pages are each
framework's own (pegboard's never shows a traceback and answers in the
format the client accepts), so only their status is compared.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).resolve().parent


def _load_diffsize() -> Any:
    spec = importlib.util.spec_from_file_location("cherrypy_port_diffsize", HERE / "diffsize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


diffsize = _load_diffsize()
ROOT = HERE.parents[2]
RUN_CHERRYPY = (
    "import runpy, cherrypy; "
    "cherrypy.config.update({{'server.socket_port': {port}, "
    "'engine.autoreload.on': False, 'log.screen': False}}); "
    "runpy.run_path('tut08_cherrypy.py', run_name='__main__')"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(command: list[str], port: int) -> Iterator[str]:
    """Start ``command`` in this folder, wait for ``port``, yield its URL, stop it."""
    proc = subprocess.Popen(
        command, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    _, err = proc.communicate()
                    pytest.fail(f"{command[:3]} did not start:\n{err[-2000:]}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def cherrypy_url() -> Iterator[str]:
    port = free_port()
    yield from serve([sys.executable, "-c", RUN_CHERRYPY.format(port=port)], port)


@pytest.fixture(scope="module")
def pegboard_url() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "pegboard.cli", "serve", "tut08_pegboard.py"]
    yield from serve([*command, "--port", str(port)], port)


def content_type(resp: requests.Response) -> tuple[str, str | None]:
    """The media type and charset, however the server spaced them."""
    message = Message()
    message["Content-Type"] = resp.headers.get("Content-Type", "")
    charset = message.get_param("charset")
    return message.get_content_type(), str(charset).lower() if charset else None


def observe(base: str) -> list[tuple[Any, ...]]:
    """What a client sees for the tutorial's requests, generated values by their shape."""
    client = requests.Session()
    seen: list[tuple[Any, ...]] = []
    generated = ""

    def record(what: str, resp: requests.Response, body: str | None = None) -> None:
        if body is None:
            body = resp.text if resp.status_code < 400 else "<error page>"
        mtype, charset = content_type(resp)
        if resp.status_code >= 400:  # each framework's error page is its own
            mtype = charset = None
        if not resp.content:  # a charset describes a body; CherryPy names one for none
            charset = None
        seen.append((what, resp.status_code, mtype, charset, body))

    def shape(text: str, length: int) -> str:
        if re.fullmatch(f"[0-9a-fA-F]{{{length}}}", text):
            return f"<{length} hex digits>"
        return text

    def again(text: str) -> str:
        return "<the string generated before>" if text == generated else text

    record("GET /", client.get(base + "/"))
    resp = client.get(base + "/static/css/style.css")
    seen.append(("GET style.css", resp.status_code, content_type(resp)[0], resp.text))
    record("GET missing.css", client.get(base + "/static/css/missing.css"))
    record("GET /nowhere", client.get(base + "/nowhere"))
    record("GET before any POST", client.get(base + "/generator"))
    resp = client.post(base + "/generator", data={"length": "8"})
    generated = resp.text
    record("POST length=8", resp, shape(resp.text, 8))
    seen.append(("session cookie", "session_id" in client.cookies))
    resp = client.get(base + "/generator")
    record("GET", resp, again(resp.text))
    record(
        "GET as JSON",
        client.get(base + "/generator", headers={"Accept": "application/json"}),
    )
    record("PUT hello", client.put(base + "/generator", data={"another_string": "hello"}))
    record("GET after PUT", client.get(base + "/generator"))
    record("DELETE", client.delete(base + "/generator"))
    record("GET after DELETE", client.get(base + "/generator"))
    resp = client.post(base + "/generator", data={"length": "12"})
    generated = resp.text
    record("POST length=12", resp, shape(resp.text, 12))
    resp = client.get(base + "/generator")
    record("GET", resp, again(resp.text))
    record("POST length=abc", client.post(base + "/generator", data={"length": "abc"}))
    record("GET, another client", requests.get(base + "/generator"))
    return seen


def test_the_port_behaves_like_the_original(cherrypy_url, pegboard_url):
    original, port = observe(cherrypy_url), observe(pegboard_url)
    assert port == original
    # and the script saw what the tutorial describes
    index = (HERE / "index.html").read_text()
    assert original[0] == ("GET /", 200, "text/html", "utf-8", index)
    statuses = [row[1] for row in original if len(row) > 2]
    assert statuses == [
        200,
        200,
        404,
        404,
        500,
        200,
        200,
        406,
        200,
        200,
        200,
        500,
        200,
        200,
        500,
        500,
    ]
    assert ("session cookie", True) in original


def test_the_guide_states_the_port_size():
    guide = (ROOT / "docs" / "cherrypy-migration.md").read_text(encoding="utf-8")
    assert diffsize.summary() in " ".join(guide.split())


def test_diffsize_prints_the_figures():
    result = subprocess.run(
        [sys.executable, str(HERE / "diffsize.py")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.stdout.splitlines()[0] == diffsize.summary()
