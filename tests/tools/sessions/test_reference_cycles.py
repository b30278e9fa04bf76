"""A request that uses its session leaves no reference cycle (the request holds its session)."""

from __future__ import annotations

import gc
import io
import wsgiref.util
from typing import Any

import pytest

import pegboard
from pegboard_sessions import session_of


def _request(app: Any, path: str, cookie: str | None = None) -> list[tuple[str, str]]:
    environ: dict[str, Any] = {"PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    wsgiref.util.setup_testing_defaults(environ)
    answers: list[tuple[str, list[tuple[str, str]]]] = []
    result = app(environ, lambda status, headers, exc_info=None: answers.append((status, headers)))
    b"".join(result)
    getattr(result, "close", lambda: None)()
    status, headers = answers[0]
    assert status.startswith("200"), status
    return headers


def _session_cookie(headers: list[tuple[str, str]]) -> str:
    lines = [value for name, value in headers if name == "Set-Cookie"]
    assert lines, headers
    return lines[0].split(";", 1)[0]


@pytest.fixture
def counting_app(make_app: Any) -> pegboard.App:
    app = make_app({"/": {"tools.sessions.on": True}})
    kept: list[Any] = []

    @app.route("/count")
    def count(req: pegboard.Request, resp: pegboard.Response) -> str:
        session = session_of(req)
        session["visits"] = session.get("visits", 0) + 1
        return str(session["visits"])

    @app.route("/keep")
    def keep(req: pegboard.Request, resp: pegboard.Response) -> str:
        kept.append(session_of(req))  # a session kept past its request: a mistake
        return "kept"

    app.state.kept = kept
    return app


def test_a_session_request_leaves_no_reference_cycle(counting_app: pegboard.App) -> None:
    cookie = _session_cookie(_request(counting_app, "/count"))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            _request(counting_app, "/count", cookie)
        gc.collect()
        garbage = [type(obj).__name__ for obj in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert garbage == []


def test_a_session_kept_past_its_request_says_so(counting_app: pegboard.App) -> None:
    _request(counting_app, "/keep")
    (kept,) = counting_app.state.kept
    with pytest.raises(RuntimeError, match="request has ended"):
        kept["visits"] = 1
