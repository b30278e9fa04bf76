"""The cors tool: preflights, actual responses, Vary, options, and its place among the tools."""

from __future__ import annotations

import html

import httpx
import pytest

import pegboard
from pegboard import OptionError
from pegboard.testing.httpcheck import lint_response
from pegboard_cors import CorsOptions, CorsTool, OriginPolicy, normalise_origin

APP = "https://app.example"
EVIL = "https://evil.example"


def allow_partners(origin: str) -> bool:
    """An origin_check for the tests: any https origin under partners.test."""
    return origin.startswith("https://") and origin.endswith(".partners.test")


def build(make_app, cors=None, more=None, ran=None):
    section = {"tools.cors.on": True, "tools.cors.origins": [APP], **(cors or {})}
    app = make_app({"/": {**section, **(more or {})}})
    calls = ran if ran is not None else []

    @app.route("/api/items", methods=["GET", "POST", "PUT", "DELETE"])
    def items(req, resp):
        calls.append(req.method)
        resp.headers["X-Total"] = "3"
        resp.headers["Content-Type"] = "application/json"
        return b'{"items": []}'

    @app.route("/api/broken")
    def broken(req, resp):
        raise RuntimeError("boom")

    @app.route("/api/gone")
    def gone(req, resp):
        raise pegboard.HTTPError(410, "Gone for good.")

    return app


def preflight(client, origin=APP, method="PUT", headers=None, extra=None, path="/api/items"):
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    sent.update(extra or {})
    return client.options(path, headers=sent)


def vary_of(result):
    return {v.strip().lower() for v in result.headers.get("Vary", "").split(",") if v.strip()}


# -- preflights ------------------------------------------------------------------------------


def test_an_allowed_preflight_gets_204_with_every_allow_header_and_no_handler(
    make_app, make_client
):
    ran = []
    cors = {
        "tools.cors.methods": ["GET", "PUT", "DELETE"],
        "tools.cors.headers": ["X-Token"],
        "tools.cors.credentials": True,
        "tools.cors.max_age": 300,
    }
    client = make_client(build(make_app, cors, ran=ran))
    result = preflight(client, headers="x-token, content-type")
    assert result.status == 204, result.text
    assert result.body == b""
    headers = result.headers
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Allow-Methods"] == "GET, PUT, DELETE"
    assert headers["Access-Control-Allow-Headers"] == "x-token, content-type"
    assert headers["Access-Control-Max-Age"] == "300"
    assert {"origin", "access-control-request-method"} <= vary_of(result)
    assert "Access-Control-Expose-Headers" not in headers
    assert ran == []
    sent = [
        ("Origin", APP),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-token, content-type"),
    ]
    assert lint_response(result, "OPTIONS", sent) == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"origin": EVIL}, "origin 'https://evil.example' may not read"),
        ({"method": "PATCH"}, "method 'PATCH' is not allowed"),
        ({"headers": "x-token, x-secret"}, "request headers x-secret are not allowed"),
        ({"extra": {"Access-Control-Request-Private-Network": "true"}}, "private network"),
    ],
    ids=["origin", "method", "header", "private-network"],
)
def test_a_refused_preflight_is_a_403_that_says_why_and_allows_nothing(
    make_app, make_client, kwargs, reason
):
    ran = []
    cors = {"tools.cors.methods": ["PUT"], "tools.cors.headers": ["x-token"]}
    client = make_client(build(make_app, cors, ran=ran))
    result = preflight(client, **kwargs)
    assert result.status == 403
    assert reason in html.unescape(result.text)
    assert not [h for h in result.headers if h.lower().startswith("access-control-allow")]
    assert "origin" in vary_of(result)
    assert ran == []


def test_private_network_preflights_get_consent_when_allowed(make_app, make_client):
    client = make_client(build(make_app, {"tools.cors.private_network": True}))
    result = preflight(
        client, method="POST", extra={"Access-Control-Request-Private-Network": "true"}
    )
    assert result.status == 204
    assert result.headers["Access-Control-Allow-Private-Network"] == "true"
    assert result.headers["Access-Control-Allow-Origin"] == APP


def test_a_preflight_is_answered_before_authentication_sessions_and_the_cache(
    make_app, make_client
):
    more = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "api",
        "tools.auth_basic.users": {"ann": "secret"},
        "tools.sessions.on": True,
        "tools.caching.on": True,
        "tools.json_in.on": True,
    }
    ran = []
    client = make_client(build(make_app, {"tools.cors.methods": ["PUT"]}, more, ran))
    result = preflight(client, headers="content-type")
    assert result.status == 204, result.text
    assert "WWW-Authenticate" not in result.headers
    assert "Set-Cookie" not in result.headers
    assert ran == []
    # The same path still demands credentials for the real request, and gets CORS headers.
    refused = client.put("/api/items", headers={"Origin": APP})
    assert refused.status == 401
    assert refused.headers["Access-Control-Allow-Origin"] == APP
    auth = {"Origin": APP, "Authorization": "Basic YW5uOnNlY3JldA=="}
    assert client.put("/api/items", headers=auth).status == 200
    assert ran == ["PUT"]


def test_an_options_request_that_is_no_preflight_reaches_the_route(make_app, make_client):
    client = make_client(build(make_app))
    result = client.options("/api/items", headers={"Origin": APP})
    assert result.status == 204
    assert "GET" in result.headers["Allow"]
    assert result.headers["Access-Control-Allow-Origin"] == APP


def test_a_preflight_with_problem_details_on_refuses_as_problem_json(make_app, make_client):
    more = {"tools.json_out.on": True, "tools.json_out.problem_details": True}
    client = make_client(build(make_app, None, more))
    refused = preflight(client, origin=EVIL, method="POST")
    assert refused.status == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "may not read" in refused.json()["detail"]
    assert preflight(client, method="POST").status == 204


# -- actual responses -----------------------------------------------------------------------


def test_an_allowed_origin_reads_with_credentials_and_exposed_headers(make_app, make_client):
    cors = {"tools.cors.credentials": True, "tools.cors.expose_headers": ["X-Total"]}
    client = make_client(build(make_app, cors))
    result = client.get("/api/items", headers={"Origin": APP})
    assert result.status == 200
    assert result.headers["Access-Control-Allow-Origin"] == APP
    assert result.headers["Access-Control-Allow-Credentials"] == "true"
    assert result.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert "origin" in vary_of(result)
    assert lint_response(result, request_headers=[("Origin", APP)]) == []


def test_another_origin_gets_the_answer_without_cors_headers(make_app, make_client):
    ran = []
    client = make_client(build(make_app, {"tools.cors.credentials": True}, ran=ran))
    result = client.post("/api/items", headers={"Origin": EVIL})
    assert result.status == 200  # CORS decides who reads, not who may send: see tools.csrf
    assert ran == ["POST"]
    assert not [h for h in result.headers if h.lower().startswith("access-control")]
    assert "origin" in vary_of(result)


@pytest.mark.parametrize("path", ["/api/items", "/api/gone", "/api/broken", "/nowhere"])
def test_vary_origin_is_on_every_response_errors_included(make_app, make_client, path):
    client = make_client(build(make_app))
    for headers in ({}, {"Origin": APP}, {"Origin": EVIL}):
        result = client.get(path, headers=headers)
        assert "origin" in vary_of(result), (path, headers, result.headers)
        allowed = result.headers.get("Access-Control-Allow-Origin")
        assert allowed == (APP if headers.get("Origin") == APP else None), (path, headers)


def test_any_origin_without_credentials_is_a_star_on_every_response_and_no_vary(
    make_app, make_client
):
    cors = {"tools.cors.origins": ["*"], "tools.cors.expose_headers": ["X-Total"]}
    client = make_client(build(make_app, cors))
    for headers in ({}, {"Origin": EVIL}):
        result = client.get("/api/items", headers=headers)
        assert result.headers["Access-Control-Allow-Origin"] == "*"
        assert result.headers["Access-Control-Expose-Headers"] == "X-Total"
        assert "origin" not in vary_of(result)
    answered = preflight(client, origin=EVIL, method="POST")
    assert answered.status == 204
    assert answered.headers["Access-Control-Allow-Origin"] == "*"


def test_star_headers_echo_what_the_preflight_asks_for(make_app, make_client):
    client = make_client(build(make_app, {"tools.cors.headers": ["*"]}))
    result = preflight(client, method="POST", headers="X-One, authorization")
    assert result.status == 204
    assert result.headers["Access-Control-Allow-Headers"] == "x-one, authorization"
    assert "access-control-request-headers" in vary_of(result)


def test_star_methods_with_credentials_echo_the_requested_method(make_app, make_client):
    cors = {"tools.cors.methods": ["*"], "tools.cors.credentials": True}
    client = make_client(build(make_app, cors))
    result = preflight(client, method="PATCH")
    assert result.status == 204
    assert result.headers["Access-Control-Allow-Methods"] == "PATCH"


def test_patterns_and_a_callable_allow_origins(make_app, make_client):
    cors = {
        "tools.cors.origins": ["https://*.example.com", "http://localhost:*"],
        "tools.cors.origin_check": "tests.tools.cors.test_cors:allow_partners",
    }
    client = make_client(build(make_app, cors))
    cases = {
        "https://a.example.com": True,
        "https://a.b.example.com": True,
        "https://example.com": False,
        "https://evil-example.com": False,
        "https://a.example.com.evil.test": False,
        "http://a.example.com": False,
        "http://localhost:5173": True,
        "http://localhost": True,
        "https://shop.partners.test": True,
        "http://shop.partners.test": False,
        "null": False,
    }
    for origin, allowed in cases.items():
        result = client.get("/api/items", headers={"Origin": origin})
        got = result.headers.get("Access-Control-Allow-Origin")
        assert (got == origin) is allowed, origin


# -- the shared cache keys by origin --------------------------------------------------------


def test_the_cache_never_serves_one_origins_answer_to_another(make_app, make_client):
    ran = []
    more = {"tools.caching.on": True, "tools.caching.delay": 60}
    client = make_client(build(make_app, None, more, ran))
    cases = [(APP, APP), (EVIL, None), (None, None)]
    for _ in range(2):
        for origin, expected in cases:
            headers = {"Origin": origin} if origin else {}
            result = client.get("/api/items", headers=headers)
            assert result.status == 200
            assert result.headers.get("Access-Control-Allow-Origin") == expected, origin
    assert len(ran) == 3  # one miss per origin, then a hit each
    hit = client.get("/api/items", headers={"Origin": APP})
    assert "hit" in hit.headers["Cache-Status"]
    assert hit.headers["Access-Control-Allow-Origin"] == APP


# -- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ({"origins": ["https://app.example/"]}, "origins", "has a path"),
        ({"origins": ["app.example"]}, "origins", "not an origin"),
        ({"origins": ["null"]}, "origins", "sandboxed"),
        ({"origins": ["https://ex*.com"]}, "origins", "leftmost labels"),
        ({"origins": ["*"], "credentials": True}, "credentials", "list the origins"),
        ({"methods": ["GET POST"]}, "methods", "not a method"),
        ({"headers": ["X Token"]}, "headers", "not a header"),
        ({"expose_headers": ["*"], "credentials": True}, "expose_headers", "literally"),
        ({"max_age": -1}, "max_age", "negative"),
    ],
)
def test_options_that_cannot_work_are_refused(options, key, words):
    with pytest.raises(OptionError) as caught:
        CorsOptions(**options)
    assert caught.value.key == key
    assert words in caught.value.message


def test_a_wildcard_with_credentials_is_a_config_error_naming_the_key(make_app):
    app = make_app({"/": {"tools.cors.on": True, "tools.cors.origins": ["*"]}})
    app.compile()
    bad = make_app(
        {"/": {"tools.cors.on": True, "tools.cors.origins": ["*"], "tools.cors.credentials": True}}
    )
    with pytest.raises(pegboard.ConfigError) as caught:
        bad.compile()
    assert caught.value.key == "tools.cors.credentials"


def test_origins_are_written_as_browsers_send_them():
    assert normalise_origin("HTTPS://App.Example:443") == "https://app.example"
    assert normalise_origin("http://localhost:8080") == "http://localhost:8080"
    assert normalise_origin("http://[::1]:80") == "http://[::1]"
    policy = OriginPolicy(["HTTPS://App.Example:443"])
    assert policy.allows("https://app.example")
    assert not policy.allows("https://app.example:443")


def test_settings_that_do_nothing_are_warned_about(make_app):
    app = make_app({"/": {"tools.cors.on": True, "tools.cors.max_age": 86400}})
    app.compile()
    lines = [w.line() for w in app.config_warnings]
    assert any("tools.cors.origins" in line and "no origin is allowed" in line for line in lines)
    assert any("tools.cors.max_age" in line and "7200" in line for line in lines)


# -- its place among the tools ----------------------------------------------------------------


def test_declared_hooks_are_exactly_the_attached_ones(make_app):
    app = build(make_app)
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "cors"
    }
    assert attached == {(h.point, h.priority) for h in CorsTool.hooks}


def test_the_preflight_runs_before_any_authentication_hook(make_app):
    more = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "api",
        "tools.auth_basic.users": {"ann": "secret"},
    }
    app = build(make_app, None, more)
    app.compile()
    plan = app.router.static["/api/items"].default_plan
    order = [
        hook.source for point in pegboard.HOOKPOINTS for hook in plan.hooks[point] if hook.source
    ]
    assert order.index("cors") < order.index("auth_basic")


# -- a real client over a real server ----------------------------------------------------------


def test_a_preflight_and_a_request_over_http(make_app, live_server):
    server = live_server(build(make_app, {"tools.cors.methods": ["PUT"]}))
    with httpx.Client(base_url=server.url) as http:
        answer = http.options(
            "/api/items", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"}
        )
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-methods"] == "PUT"
        put = http.put("/api/items", headers={"Origin": APP})
        assert put.status_code == 200
        assert put.headers["access-control-allow-origin"] == APP
