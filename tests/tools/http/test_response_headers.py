"""The response_headers tool: set headers, survive errors, let handlers override."""

from __future__ import annotations

import pytest

import pegboard

SECURITY = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


def _app(make_app, headers):
    app = make_app(
        {"/": {"tools.response_headers.on": True, "tools.response_headers.headers": headers}}
    )
    app.route("/ok", lambda req, resp: "ok")

    @app.route("/own")
    def own(req, resp):
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
        return "own"

    @app.route("/boom")
    def boom(req, resp):
        raise RuntimeError("broken")

    @app.route("/gone")
    def gone(req, resp):
        raise pegboard.HTTPError(410)

    return app


def test_headers_from_a_table(make_app, make_client):
    result = make_client(_app(make_app, SECURITY)).get("/ok")
    assert result.headers["X-Frame-Options"] == "DENY"
    assert result.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_from_cherrypy_style_pairs(make_app, make_client):
    pairs = [["X-Frame-Options", "DENY"], ["Cache-Control", "no-store"]]
    result = make_client(_app(make_app, pairs)).get("/ok")
    assert result.headers["X-Frame-Options"] == "DENY"
    assert result.headers["Cache-Control"] == "no-store"


def test_a_handler_can_override(make_app, make_client):
    assert (
        make_client(_app(make_app, SECURITY)).get("/own").headers["X-Frame-Options"] == "SAMEORIGIN"
    )


@pytest.mark.parametrize("path", ["/boom", "/gone", "/missing"])
def test_error_pages_keep_the_headers(make_app, make_client, path):
    result = make_client(_app(make_app, SECURITY)).get(path)
    assert result.status in (500, 410, 404)
    assert result.headers["X-Frame-Options"] == "DENY"
    assert result.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "headers",
    [{"X-Bad": "a\r\nSet-Cookie: x=1"}, {"Bad Name": "1"}, [["X-A"]], "X-A: 1"],
)
def test_bad_headers_are_config_errors(make_app, headers):
    app = _app(make_app, headers)
    with pytest.raises(pegboard.ConfigError, match=r"tools\.response_headers\.headers"):
        app.start()
