"""redirect, err_redirect and trailing_slash, and what internal redirects do to hooks."""

from __future__ import annotations

import pytest

import pegboard
from pegboard_http.redirects import MAX_INTERNAL_REDIRECTS


def _site(make_app, config):
    app = make_app(config)

    @app.route("/new")
    def new(req, resp):
        resp.headers["X-Served-By"] = "new"
        return f"new page, query {req.query_string!r}, method {req.method}"

    @app.route("/old")
    def old(req, resp):
        return "old page"

    @app.route("/boom")
    def boom(req, resp):
        raise RuntimeError("broken")

    @app.route("/sorry")
    def sorry(req, resp):
        return "sorry, something broke"

    return app


# -- redirect ------------------------------------------------------------------------------


def test_internal_redirect_serves_the_other_path(make_app, make_client):
    app = _site(make_app, {"/old": {"tools.redirect.on": True, "tools.redirect.url": "/new"}})
    result = make_client(app).get("/old?a=1")
    assert result.status == 200
    assert result.text == "new page, query '', method GET"
    assert result.headers["X-Served-By"] == "new"
    assert "Location" not in result.headers


def test_internal_redirect_takes_the_query_from_the_url_and_becomes_a_get(make_app, make_client):
    app = _site(make_app, {"/old": {"tools.redirect.on": True, "tools.redirect.url": "/new?x=1"}})
    result = make_client(app).post("/old", data={"field": "value"})
    assert result.status == 200
    assert result.text == "new page, query 'x=1', method GET"


def test_internal_redirect_to_a_relative_path(make_app, make_client):
    app = make_app({"/docs/old": {"tools.redirect.on": True, "tools.redirect.url": "current"}})
    app.route("/docs/old", lambda req, resp: "old")
    app.route("/docs/current", lambda req, resp: "current docs")
    assert make_client(app).get("/docs/old").text == "current docs"


def test_internal_redirect_to_a_missing_path_is_its_404(make_app, make_client):
    app = _site(make_app, {"/old": {"tools.redirect.on": True, "tools.redirect.url": "/nowhere"}})
    assert make_client(app).get("/old").status == 404


def test_internal_redirect_head_has_no_body_but_the_right_length(make_app, make_client):
    app = _site(make_app, {"/old": {"tools.redirect.on": True, "tools.redirect.url": "/new"}})
    client = make_client(app)
    full = client.get("/old")
    head = client.head("/old")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body))


def test_redirect_loop_is_a_500_not_a_hang(make_app, make_client):
    app = _site(
        make_app,
        {
            "/old": {"tools.redirect.on": True, "tools.redirect.url": "/new"},
            "/new": {"tools.redirect.on": True, "tools.redirect.url": "/old"},
        },
    )
    result = make_client(app).get("/old")
    assert result.status == 500
    assert "loop" in result.text


def test_a_long_chain_stops_at_the_limit(make_app, make_client):
    hops = MAX_INTERNAL_REDIRECTS + 2
    config = {
        f"/hop{i}": {"tools.redirect.on": True, "tools.redirect.url": f"/hop{i + 1}"}
        for i in range(hops)
    }
    app = make_app(config)
    for i in range(hops + 1):
        app.route(f"/hop{i}", lambda req, resp: "end")
    assert make_client(app).get("/hop0").status == 500
    short = make_app({**config, "/hop3": {}})
    for i in range(hops + 1):
        short.route(f"/hop{i}", lambda req, resp: "end")
    assert make_client(short).get("/hop0").text == "end"


def test_external_redirect(make_app, make_client):
    app = _site(
        make_app,
        {
            "/old": {
                "tools.redirect.on": True,
                "tools.redirect.url": "/new",
                "tools.redirect.internal": False,
            }
        },
    )
    result = make_client(app).get("/old")
    assert result.status == 303
    assert result.headers["Location"] == "http://localhost/new"


def test_external_redirect_with_status_to_another_site(make_app, make_client):
    config = {
        "tools.redirect.on": True,
        "tools.redirect.url": "https://example.com/moved",
        "tools.redirect.internal": False,
        "tools.redirect.status": 308,
    }
    result = make_client(_site(make_app, {"/old": config})).get("/old")
    assert result.status == 308
    assert result.headers["Location"] == "https://example.com/moved"


def test_target_hooks_run_and_the_original_path_keeps_its_later_hooks(make_app, make_client):
    seen: list[str] = []

    def finalize_old(req, resp):
        seen.append(f"old before_finalize sees {resp.status}")
        resp.headers["X-Old-Finalize"] = "ran"

    def end_new(req, resp):
        seen.append(f"new on_end_request {req.path}")

    app = _site(
        make_app,
        {
            "/old": {
                "tools.redirect.on": True,
                "tools.redirect.url": "/new",
                "hooks.before_finalize": finalize_old,
            },
            "/new": {
                "tools.response_headers.on": True,
                "tools.response_headers.headers": {"X-New-Section": "yes"},
                "hooks.on_end_request": pegboard.Hook(end_new, failsafe=True),
            },
        },
    )
    result = make_client(app).get("/old")
    assert result.headers["X-New-Section"] == "yes"
    assert result.headers["X-Old-Finalize"] == "ran"
    assert seen == ["new on_end_request /new", "old before_finalize sees 200"]


def test_the_handler_of_the_original_path_does_not_run(make_app, make_client):
    calls: list[str] = []
    app = make_app({"/old": {"tools.redirect.on": True, "tools.redirect.url": "/new"}})
    app.route("/old", lambda req, resp: calls.append("old"))
    app.route("/new", lambda req, resp: "new")
    assert make_client(app).get("/old").text == "new"
    assert calls == []


def test_pegboard_request_is_the_original_after_an_internal_redirect(make_app, make_client):
    seen: list[str] = []

    def after(req, resp):
        seen.append(pegboard.request.path)

    app = _site(
        make_app,
        {
            "/old": {
                "tools.redirect.on": True,
                "tools.redirect.url": "/new",
                "hooks.before_finalize": after,
            }
        },
    )
    make_client(app).get("/old")
    assert seen == ["/old"]


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"url": ""}, "url"),
        ({"url": "https://example.com/"}, "url"),
        ({"url": "/x", "internal": False, "status": 200}, "status"),
    ],
)
def test_redirect_config_errors(make_app, options, key):
    config = {"tools.redirect.on": True, **{f"tools.redirect.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.redirect\.{key}"):
        app.start()


def test_redirect_needs_a_url(make_app):
    app = make_app({"/": {"tools.redirect.on": True}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.redirect\.url"):
        app.start()


# -- err_redirect --------------------------------------------------------------------------


def test_err_redirect_internal_shows_the_page_but_keeps_the_500(make_app, make_client):
    app = _site(
        make_app, {"/": {"tools.err_redirect.on": True, "tools.err_redirect.url": "/sorry"}}
    )
    client = make_client(app)
    result = client.get("/boom")
    assert result.status == 500
    assert result.text == "sorry, something broke"
    assert client.get("/new").status == 200  # other requests are untouched


def test_err_redirect_leaves_http_errors_alone(make_app, make_client):
    app = _site(
        make_app, {"/": {"tools.err_redirect.on": True, "tools.err_redirect.url": "/sorry"}}
    )
    result = make_client(app).get("/nothing-here")
    assert result.status == 404
    assert "sorry" not in result.text


def test_err_redirect_external(make_app, make_client):
    config = {
        "tools.err_redirect.on": True,
        "tools.err_redirect.url": "/sorry",
        "tools.err_redirect.internal": False,
    }
    result = make_client(_site(make_app, {"/": config})).get("/boom")
    assert result.status == 303
    assert result.headers["Location"] == "http://localhost/sorry"


def test_err_redirect_to_a_failing_page_keeps_the_plain_500(make_app, make_client):
    app = _site(make_app, {"/": {"tools.err_redirect.on": True, "tools.err_redirect.url": "/boom"}})
    result = make_client(app).get("/boom")
    assert result.status == 500
    assert "unexpected condition" in result.text


# -- trailing_slash ------------------------------------------------------------------------


def _slash_app(make_app, **options):
    config = {"tools.trailing_slash.on": True}
    config.update({f"tools.trailing_slash.{k}": v for k, v in options.items()})
    app = make_app({"/": config})
    app.route("/docs/", lambda req, resp: "docs index")
    app.route("/file", lambda req, resp: "a file")
    app.route("/both", lambda req, resp: "both without")
    app.route("/both/", lambda req, resp: "both with")
    app.route("/users/{id:int}/", lambda req, resp, id: f"user {id}")
    return app


def test_missing_slash_redirects_with_the_query(make_app, make_client):
    result = make_client(_slash_app(make_app)).get("/docs?page=2")
    assert result.status == 301
    assert result.headers["Location"] == "http://localhost/docs/?page=2"


def test_missing_slash_on_a_template_route(make_app, make_client):
    client = make_client(_slash_app(make_app))
    assert client.get("/users/7").headers["Location"] == "http://localhost/users/7/"
    assert client.get("/users/x").status == 404


def test_extra_slash_is_left_alone_by_default(make_app, make_client):
    assert make_client(_slash_app(make_app)).get("/file/").status == 404


def test_extra_slash_redirects_when_asked(make_app, make_client):
    result = make_client(_slash_app(make_app, extra=True)).get("/file/")
    assert result.status == 301
    assert result.headers["Location"] == "http://localhost/file"


def test_missing_off(make_app, make_client):
    assert make_client(_slash_app(make_app, missing=False)).get("/docs").status == 404


def test_no_redirect_when_the_path_has_a_route(make_app, make_client):
    client = make_client(_slash_app(make_app, extra=True))
    assert client.get("/both").text == "both without"
    assert client.get("/both/").text == "both with"
    assert client.get("/").status == 404


def test_other_methods_get_308_and_status_is_configurable(make_app, make_client):
    assert make_client(_slash_app(make_app)).post("/docs", body=b"x").status == 308
    assert make_client(_slash_app(make_app, status=302)).get("/docs").status == 302


def test_a_double_slash_path_never_redirects_to_another_host(make_app, make_client):
    app = make_app({"/": {"tools.trailing_slash.on": True}})
    app.route("//evil.test/", lambda req, resp: "odd but routed")
    result = make_client(app).get("//evil.test")
    assert result.status == 301
    assert result.headers["Location"].startswith("http://localhost//evil.test/")


def test_trailing_slash_bad_status(make_app):
    app = make_app({"/": {"tools.trailing_slash.on": True, "tools.trailing_slash.status": 404}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.trailing_slash\.status"):
        app.start()


def test_err_redirect_page_keeps_security_headers_and_request_id(make_app, make_client):
    config = {
        "tools.err_redirect.on": True,
        "tools.err_redirect.url": "/sorry",
        "tools.request_id.on": True,
        "tools.response_headers.on": True,
        "tools.response_headers.headers": {"X-Frame-Options": "DENY"},
    }
    for internal in (True, False):
        app = _site(make_app, {"/": {**config, "tools.err_redirect.internal": internal}})
        result = make_client(app).get("/boom")
        assert result.status == (500 if internal else 303)
        assert result.headers["X-Frame-Options"] == "DENY"
        assert len(result.headers["X-Request-Id"]) == 32
