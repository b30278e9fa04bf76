"""The autovary tool: Vary names the request headers the handler read."""

from __future__ import annotations

import pytest

import pegboard


def _vary_cookie(req, resp):
    """Stands in for sessions: adds Vary: Cookie in before_finalize at 10."""
    resp.headers.add_vary("Cookie")


def _vary_encoding(req, resp):
    """Stands in for gzip: adds Vary: Accept-Encoding in before_finalize at 80."""
    resp.headers.add_vary("Accept-Encoding")


def _app(make_app, extra=None):
    app = make_app({"/": {"tools.autovary.on": True, **(extra or {})}})
    app.add_tool(pegboard.Tool("fake_sessions", _vary_cookie, point="before_finalize", priority=10))
    app.add_tool(pegboard.Tool("fake_gzip", _vary_encoding, point="before_finalize", priority=80))

    @app.route("/lang")
    def lang(req, resp):
        return f"lang={req.headers.get('accept-language')}"

    @app.route("/many")
    def many(req, resp):
        flag = "X-Flag" in req.headers
        try:
            custom = req.headers["X_Custom"]
        except KeyError:
            custom = None
        return f"{flag} {custom} {req.headers.get('If-None-Match')} {req.headers.get('Host')}"

    @app.route("/theme")
    def theme(req, resp):
        return f"theme={req.cookies.get('theme')}"

    @app.route("/dump")
    def dump(req, resp):
        return ",".join(sorted(dict(req.headers.items())))

    @app.route("/refuse")
    def refuse(req, resp):
        if req.headers.get("X-Api-Version") != "2":
            raise pegboard.HTTPError(400, "Version 2 only.")
        return "ok"

    @app.route("/star")
    def star(req, resp):
        resp.headers["Vary"] = "*"
        return req.headers.get("Accept-Language") or ""

    return app


def test_a_header_the_handler_read_is_in_vary(make_app, make_client):
    result = make_client(_app(make_app)).get("/lang", headers={"Accept-Language": "de"})
    assert result.text == "lang=de"
    assert result.headers["Vary"] == "Accept-Language"


def test_a_header_read_but_absent_still_varies(make_app, make_client):
    assert make_client(_app(make_app)).get("/lang").headers["Vary"] == "Accept-Language"


def test_every_kind_of_lookup_counts_and_names_are_normalised(make_app, make_client):
    result = make_client(_app(make_app)).get("/many", headers={"If-None-Match": '"x"'})
    # If-None-Match and Host are ignored by default: they never select a representation.
    assert result.headers["Vary"] == "X-Flag, X-Custom"


def test_ignore_replaces_the_default_list(make_app, make_client):
    app = _app(make_app, {"tools.autovary.ignore": ["X-Flag"]})
    assert make_client(app).get("/many").headers["Vary"] == "X-Custom, If-None-Match, Host"


def test_cookie_reads_vary_on_cookie(make_app, make_client):
    result = make_client(_app(make_app)).get("/theme", headers={"Cookie": "theme=dark"})
    assert result.text == "theme=dark"
    assert result.headers["Vary"] == "Cookie"


def test_listing_all_headers_is_not_a_read_of_each(make_app, make_client):
    result = make_client(_app(make_app)).get("/dump", headers={"X-One": "1"})
    assert "X-One" in result.text
    assert "Vary" not in result.headers


def test_merges_with_vary_from_other_tools(make_app, make_client):
    app = _app(make_app, {"tools.fake_sessions.on": True, "tools.fake_gzip.on": True})
    result = make_client(app).get("/theme")
    # sessions' Cookie (10), gzip's Accept-Encoding (80), then autovary (85): no duplicate Cookie
    assert result.headers.get_all("Vary") == ["Cookie, Accept-Encoding"]
    result = make_client(app).get("/lang")
    assert result.headers["Vary"] == "Cookie, Accept-Encoding, Accept-Language"


def test_reads_by_tools_before_the_handler_are_theirs_to_declare(make_app, make_client):
    app = _app(make_app, {"tools.accept.on": True, "tools.accept.media": ["text/html"]})
    result = make_client(app).get("/lang", headers={"Accept": "text/html"})
    assert result.headers["Vary"] == "Accept, Accept-Language"


def test_error_responses_vary_too(make_app, make_client):
    result = make_client(_app(make_app)).get("/refuse")
    assert result.status == 400
    assert result.headers["Vary"] == "X-Api-Version"


def test_vary_star_is_kept(make_app, make_client):
    assert make_client(_app(make_app)).get("/star").headers["Vary"] == "*"


def test_a_handler_tool_answer_records_nothing(make_app, make_client):
    def answer(req, resp):
        resp.set_body("from the tool")
        req.handler = None

    app = _app(make_app, {"tools.answer.on": True})
    app.add_tool(pegboard.Tool("answer", answer, point="before_handler", priority=30))
    result = make_client(app).get("/lang", headers={"Accept-Language": "de"})
    assert result.text == "from the tool"
    assert "Vary" not in result.headers


@pytest.mark.parametrize("ignore", ["Host", [1]])
def test_bad_ignore_is_a_config_error(make_app, ignore):
    app = _app(make_app, {"tools.autovary.ignore": ignore})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.autovary\.ignore"):
        app.start()
