"""The secure_headers tool: safe defaults on every response, the CSP nonce, per-path overrides."""

from __future__ import annotations

import re

import httpx
import pytest

import pegboard
from pegboard import OptionError
from pegboard.testing.httpcheck import lint_response
from pegboard_secure_headers import SecureHeadersOptions, SecureHeadersTool, csp_nonce

DEFAULT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-site",
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
}
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/]{24})'")


def build(make_app, section=None, config=None):
    app = make_app({"/": {"tools.secure_headers.on": True, **(section or {})}, **(config or {})})

    @app.route("/page")
    def page(req, resp):
        nonce = csp_nonce(req)
        return f'<!DOCTYPE html><script nonce="{nonce}">ok()</script>'

    @app.route("/plain")
    def plain(req, resp):
        return "plain"

    @app.route("/own")
    def own(req, resp):
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
        resp.headers["Content-Security-Policy"] = "default-src 'none'"
        return "own"

    @app.route("/forbidden")
    def forbidden(req, resp):
        raise pegboard.HTTPError(403, "No.")

    @app.route("/broken")
    def broken(req, resp):
        raise RuntimeError("boom")

    @app.route("/stream")
    def stream(req, resp):
        def body():
            yield b"<p>"
            yield csp_nonce(req).encode()

        return body()

    return app


@pytest.mark.parametrize("path", ["/plain", "/forbidden", "/broken", "/nowhere"])
def test_every_response_gets_the_safe_defaults_error_pages_included(make_app, make_client, path):
    result = make_client(build(make_app)).get(path)
    for name, value in DEFAULT_HEADERS.items():
        assert result.headers.get(name) == value, (path, name)
    assert "Strict-Transport-Security" not in result.headers  # plain HTTP
    assert "Cross-Origin-Embedder-Policy" not in result.headers
    assert lint_response(result) == []


def test_hsts_only_over_https_as_the_request_sees_it(make_app, make_client):
    app = build(make_app, {"tools.proxy.on": True, "tools.proxy.scheme": "X-Forwarded-Proto"})
    client = make_client(app)
    assert "Strict-Transport-Security" not in client.get("/plain").headers
    behind_tls = client.get("/nowhere", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.status == 404
    assert behind_tls.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    direct = make_client(app, base_url="https://localhost").get("/plain")
    assert direct.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    # A client that claims HTTPS without a trusted proxy in between gets no HSTS.
    spoofed = make_client(app, remote_addr="203.0.113.9").get(
        "/plain", headers={"X-Forwarded-Proto": "https"}
    )
    assert "Strict-Transport-Security" not in spoofed.headers


def test_the_nonce_is_in_the_policy_and_the_page_and_new_for_every_response(make_app, make_client):
    client = make_client(build(make_app))
    seen = set()
    for _ in range(3):
        result = client.get("/page")
        policy = result.headers["Content-Security-Policy"]
        nonces = set(NONCE.findall(policy))
        assert len(nonces) == 1
        (nonce,) = nonces
        assert f"script-src 'self' 'nonce-{nonce}'" in policy
        assert f"style-src 'self' 'nonce-{nonce}'" in policy
        assert f'nonce="{nonce}"' in result.text
        seen.add(nonce)
        assert result.headers["Cache-Control"] == "private"
    assert len(seen) == 3
    assert "nonce" not in client.get("/plain").headers["Content-Security-Policy"]


def test_a_page_with_a_nonce_is_never_stored_by_the_shared_cache(make_app, make_client):
    section = {"tools.caching.on": True, "tools.caching.delay": 60}
    client = make_client(build(make_app, section))
    first, second = client.get("/page"), client.get("/page")
    assert NONCE.findall(first.headers["Content-Security-Policy"]) != NONCE.findall(
        second.headers["Content-Security-Policy"]
    )
    assert "hit" not in second.headers["Cache-Status"]
    client.get("/plain")
    hit = client.get("/plain")
    assert "hit" in hit.headers["Cache-Status"]
    assert hit.headers["Content-Security-Policy"] == DEFAULT_HEADERS["Content-Security-Policy"]


def test_a_cache_control_the_handler_set_is_kept_and_made_private(make_app, make_client):
    app = build(make_app)

    @app.route("/cached")
    def cached(req, resp):
        resp.headers["Cache-Control"] = "max-age=60"
        return csp_nonce(req)

    assert make_client(app).get("/cached").headers["Cache-Control"] == "max-age=60, private"


def test_the_nonce_after_the_headers_went_out_is_an_error_not_a_silent_mismatch(
    make_app, make_client
):
    client = make_client(build(make_app))
    with pytest.raises(RuntimeError, match="after the response headers were written"):
        client.get("/stream")


def test_the_nonce_where_the_tool_is_off_says_how_to_turn_it_on(make_app, make_client):
    app = make_app()

    @app.route("/")
    def home(req, resp):
        try:
            csp_nonce(req)
        except LookupError as exc:
            return str(exc)
        return "no error"

    assert "tools.secure_headers.on = true" in make_client(app).get("/").text


def test_a_header_the_handler_set_is_left_alone(make_app, make_client):
    result = make_client(build(make_app)).get("/own")
    assert result.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert result.headers["Content-Security-Policy"] == "default-src 'none'"
    assert result.headers["Referrer-Policy"] == DEFAULT_HEADERS["Referrer-Policy"]


def test_report_only_keeps_framing_enforced_and_names_the_endpoints(make_app, make_client):
    section = {
        "tools.secure_headers.csp_report_only": True,
        "tools.secure_headers.csp_report_uri": "/csp-reports",
        "tools.secure_headers.csp_report_to": "https://reports.example/csp",
    }
    result = make_client(build(make_app, section)).get("/page")
    report_only = result.headers["Content-Security-Policy-Report-Only"]
    assert "report-uri /csp-reports" in report_only
    assert "report-to csp-endpoint" in report_only
    assert "frame-ancestors" not in report_only  # browsers ignore it there
    assert NONCE.search(report_only)
    assert result.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert result.headers["Reporting-Endpoints"] == 'csp-endpoint="https://reports.example/csp"'
    assert result.headers["X-Frame-Options"] == "DENY"


def test_deeper_sections_override_per_path(make_app, make_client):
    config = {
        "/embed": {"tools.secure_headers.frame_ancestors": ["'self'", "https://partner.example"]},
        "/self": {"tools.secure_headers.frame_ancestors": ["'self'"]},
        "/legacy": {
            "tools.secure_headers.csp": None,
            "tools.secure_headers.frame_ancestors": None,
            "tools.secure_headers.permissions_policy": {"geolocation": ["self"]},
            "tools.secure_headers.cross_origin_embedder_policy": "require-corp",
        },
        "/off": {"tools.secure_headers.on": False},
    }
    app = build(make_app, config=config)
    for prefix in config:
        app.route(prefix, lambda req, resp: "x")
    client = make_client(app)
    embed = client.get("/embed")
    assert "X-Frame-Options" not in embed.headers  # it cannot name an origin
    assert embed.headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://partner.example"
    )
    assert client.get("/self").headers["X-Frame-Options"] == "SAMEORIGIN"
    legacy = client.get("/legacy")
    assert "Content-Security-Policy" not in legacy.headers
    assert "X-Frame-Options" not in legacy.headers
    assert legacy.headers["Permissions-Policy"] == "geolocation=(self)"
    assert legacy.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    off = client.get("/off")
    assert not set(DEFAULT_HEADERS) & set(off.headers)


def test_permissions_policy_writes_origins_as_strings():
    from pegboard_secure_headers import permissions_text

    text = permissions_text({"geolocation": ["self", "https://maps.example"], "fullscreen": ["*"]})
    assert text == 'geolocation=(self "https://maps.example"), fullscreen=*'


def test_csp_without_its_own_script_src_takes_default_src_for_the_nonce(make_app, make_client):
    section = {"tools.secure_headers.csp": {"default-src": ["'none'"], "img-src": ["'self'"]}}
    policy = make_client(build(make_app, section)).get("/page").headers["Content-Security-Policy"]
    nonce = NONCE.search(policy)
    assert nonce is not None
    assert f"script-src 'nonce-{nonce.group(1)}'" in policy
    assert policy.startswith("default-src 'none'; img-src 'self'")


# -- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ({"csp": {"script-src": ["self"]}}, "csp", "single quotes"),
        ({"csp": {"script-src": ["'nonce-abc'"]}}, "csp", "fixed nonce"),
        ({"csp": {"frame-ancestors": ["'none'"]}}, "csp", "set frame_ancestors"),
        ({"csp": {"img-src": ["'none'", "'self'"]}}, "csp", "cannot go with"),
        ({"csp": {"img-src": ["a b"]}}, "csp", "not one source"),
        ({"csp": {"Script Src": []}}, "csp", "directive name"),
        ({"frame_ancestors": ["none"]}, "frame_ancestors", "single quotes"),
        ({"referrer_policy": "never"}, "referrer_policy", "not a referrer policy"),
        ({"hsts_preload": True, "hsts_max_age": 600}, "hsts_preload", "preload list"),
        ({"hsts_max_age": -1}, "hsts_max_age", "negative"),
        ({"permissions_policy": {"camera": ["maps.example"]}}, "permissions_policy", "origin"),
        ({"nonce_directives": ["script src"]}, "nonce_directives", "directive name"),
    ],
)
def test_options_that_cannot_work_are_refused(options, key, words):
    with pytest.raises(OptionError) as caught:
        SecureHeadersOptions(**options)
    assert caught.value.key == key
    assert words in caught.value.message


def test_a_wrong_value_in_config_is_a_config_error_naming_the_key(make_app):
    app = make_app({"/": {"tools.secure_headers.on": True, "tools.secure_headers.csp": "self"}})
    with pytest.raises(pegboard.ConfigError) as caught:
        app.compile()
    assert caught.value.key == "tools.secure_headers.csp"


def test_settings_that_do_nothing_are_warned_about(make_app):
    app = make_app(
        {
            "/": {
                "tools.secure_headers.on": True,
                "tools.secure_headers.csp": None,
                "tools.secure_headers.csp_report_only": True,
            },
            "/img": {"tools.secure_headers.csp": {"img-src": ["'self'"]}},
        }
    )
    app.compile()
    lines = [w.line() for w in app.config_warnings]
    assert any("[/] tools.secure_headers.csp: there is no policy" in line for line in lines), lines
    assert any("[/img] tools.secure_headers.csp: " in line for line in lines), lines


def test_declared_hooks_are_exactly_the_attached_ones(make_app):
    app = build(make_app)
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "secure_headers"
    }
    assert attached == {(h.point, h.priority) for h in SecureHeadersTool.hooks}


def test_the_headers_over_a_real_server(make_app, live_server):
    server = live_server(build(make_app))
    response = httpx.get(server.url + "/page")
    assert response.status_code == 200
    nonce = NONCE.search(response.headers["content-security-policy"])
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
