"""A request leaves no reference cycle behind: everything it made is freed when it ends.

Garbage in a cycle waits for the collector, and keeps the request's environ, body
and response with it: more memory under load (a flood of 404s), and a slower
request path. The answers tested here are those every site sends: a page, a
404, an error a handler raises on purpose, a redirect.
"""

from __future__ import annotations

import gc
import io
import wsgiref.util
from collections.abc import Iterator
from typing import Any

import pytest

import pegboard


def _request(app: Any, path: str) -> str:
    environ: dict[str, Any] = {"PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    wsgiref.util.setup_testing_defaults(environ)
    statuses: list[str] = []
    result = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return statuses[0]


def cyclic_garbage(app: Any, path: str, requests: int = 5) -> list[str]:
    """The types of the objects ``requests`` requests left in reference cycles."""
    _request(app, path)  # first-use caches are not garbage
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(requests):
            _request(app, path)
        gc.collect()
        found = [type(obj).__name__ for obj in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return found


@pytest.fixture
def site(make_app: Any) -> Iterator[pegboard.App]:
    app = make_app(discover=False)

    @app.route("/page")
    def page(req: pegboard.Request, resp: pegboard.Response) -> str:
        return "a page"

    @app.route("/forbidden")
    def forbidden(req: pegboard.Request, resp: pegboard.Response) -> str:
        raise pegboard.HTTPError(403, "not for you")

    @app.route("/moved")
    def moved(req: pegboard.Request, resp: pegboard.Response) -> str:
        raise pegboard.HTTPRedirect("/page")

    yield app


@pytest.mark.parametrize(
    ("path", "status"),
    [("/page", "200"), ("/nothing-here", "404"), ("/forbidden", "403"), ("/moved", "303")],
)
def test_no_request_leaves_a_reference_cycle(site: pegboard.App, path: str, status: str) -> None:
    assert _request(site, path).startswith(status)
    assert cyclic_garbage(site, path) == []


def test_the_check_finds_a_cycle_a_handler_makes(make_app: Any) -> None:
    app = make_app(discover=False)

    @app.route("/loop")
    def loop(req: pegboard.Request, resp: pegboard.Response) -> str:
        req.state.me = req  # a request that holds itself: a cycle
        return "looped"

    assert "Request" in cyclic_garbage(app, "/loop")


def test_a_wrapped_wsgi_app_leaves_no_reference_cycle() -> None:
    def legacy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return [b"legacy"]

    app = pegboard.wrap(legacy, discover=False)
    app.start()
    try:
        assert _request(app, "/anything").startswith("200")
        assert cyclic_garbage(app, "/anything") == []
    finally:
        app.stop()
