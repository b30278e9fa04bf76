"""The csrf tool: Sec-Fetch-Site and Origin without a token, the token fallback, the 403."""

from __future__ import annotations

import html
import re

import httpx
import pytest

import pegboard
from pegboard import OptionError
from pegboard.testing.httpcheck import lint_response
from pegboard_csrf import CsrfOptions, CsrfTool, csrf_field, csrf_token, mask

SITE = "http://localhost"
SECRET = "test-secret-0123456789abcdefghijklmnop"


def build(make_app, section=None, config=None, ran=None):
    app = make_app({"/": {"tools.csrf.on": True, **(section or {})}, **(config or {})})
    calls = ran if ran is not None else []

    @app.route("/transfer", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"])
    def transfer(req, resp):
        if req.method in ("GET", "HEAD"):
            return f'<form method="post">{csrf_field(req)}</form><p id="t">{csrf_token(req)}</p>'
        calls.append(req.method)
        return "done"

    return app


def token_of(result):
    match = re.search(r'<p id="t">([^<]+)</p>', result.text)
    assert match, result.text
    return match.group(1)


def refused(result):
    return result.status == 403 and "Request refused" in result.text


# -- Sec-Fetch-Site and Origin: Go's CrossOriginProtection table, and ours ----------------------


@pytest.mark.parametrize(
    ("method", "site", "origin", "passes"),
    [
        ("POST", "same-origin", None, True),
        ("POST", "none", None, True),
        ("POST", "cross-site", None, False),
        ("POST", "same-site", None, False),
        ("POST", "cross-site", "https://evil.example", False),
        ("POST", "garbage", None, False),
        ("POST", None, SITE, True),
        ("POST", None, "http://localhost:80", False),  # browsers never write a default port
        ("POST", None, "https://evil.example", False),
        ("POST", None, "null", False),
        ("PUT", "cross-site", None, False),
        ("PATCH", "same-site", None, False),
        ("DELETE", None, "https://evil.example", False),
        ("GET", "cross-site", "https://evil.example", True),
        ("HEAD", "cross-site", None, True),
        ("OPTIONS", "cross-site", None, True),
        ("TRACE", "cross-site", None, True),
    ],
)
def test_the_header_check(make_app, make_client, method, site, origin, passes):
    ran = []
    client = make_client(build(make_app, ran=ran))
    headers = {}
    if site:
        headers["Sec-Fetch-Site"] = site
    if origin:
        headers["Origin"] = origin
    result = client.request(method, "/transfer", headers=headers)
    if passes:
        assert result.status in (200, 204), result.text
    else:
        assert refused(result), (result.status, result.text)
        assert ran == []


def test_trusted_origins_may_send_from_another_site(make_app, make_client):
    section = {"tools.csrf.trusted_origins": ["https://app.example", "HTTPS://Admin.Example:443"]}
    client = make_client(build(make_app, section))
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://admin.example"},
        {"Origin": "https://app.example"},
    ):
        assert client.post("/transfer", headers=headers).text == "done", headers
    assert refused(client.post("/transfer", headers={"Sec-Fetch-Site": "cross-site"}))
    evil = {"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.evil"}
    assert refused(client.post("/transfer", headers=evil))


def test_the_origin_is_compared_with_the_site_as_the_proxy_resolved_it(make_app, make_client):
    public = {"Origin": "https://shop.example", "Host": "shop.example"}
    behind = {**public, "X-Forwarded-Proto": "https"}
    without_proxy = make_client(build(make_app))
    result = without_proxy.post("/transfer", headers=behind)
    assert refused(result)
    assert "this site is http://shop.example" in html.unescape(result.text)
    with_proxy = make_client(
        build(make_app, {"tools.proxy.on": True, "tools.proxy.scheme": "X-Forwarded-Proto"})
    )
    assert with_proxy.post("/transfer", headers=behind).text == "done"
    assert refused(with_proxy.post("/transfer", headers=public))


# -- neither header: the fallback --------------------------------------------------------------


def test_fallback_allow_lets_programs_through_and_deny_refuses_them(make_app, make_client):
    allow = make_client(build(make_app, {"tools.csrf.fallback": "allow"}))
    assert allow.post("/transfer", data={"a": "1"}).text == "done"
    assert refused(allow.post("/transfer", headers={"Sec-Fetch-Site": "cross-site"}))
    deny = make_client(build(make_app, {"tools.csrf.fallback": "deny"}))
    result = deny.post("/transfer", data={"a": "1"})
    assert refused(result)
    assert "neither Sec-Fetch-Site nor Origin" in result.text
    assert deny.post("/transfer", headers={"Sec-Fetch-Site": "same-origin"}).text == "done"


def test_the_signed_double_submit_cookie_without_sessions(make_app, make_client):
    ran = []
    client = make_client(build(make_app, {"tools.csrf.secret": SECRET}, ran=ran))
    assert refused(client.post("/transfer", data={"a": "1"}))  # no token at all
    page = client.get("/transfer")
    assert "cookie" in page.headers["Vary"].lower()
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("csrf=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = token_of(page)
    assert 'name="csrf_token" value="' in page.text
    assert client.post("/transfer", data={"csrf_token": token}).text == "done"
    assert client.post("/transfer", headers={"X-CSRF-Token": token}, json={}).text == "done"
    # A second page reuses the cookie: no new one, a new mask, both tokens valid.
    again = client.get("/transfer")
    assert "Set-Cookie" not in again.headers
    assert token_of(again) != token
    assert client.post("/transfer", data={"csrf_token": token_of(again)}).text == "done"
    assert ran == ["POST", "POST", "POST"]
    # The token alone, without its cookie, is worth nothing; so is the raw cookie value.
    stranger = make_client(client.app)
    assert refused(stranger.post("/transfer", data={"csrf_token": token}))
    raw = client.cookie("csrf")
    assert raw is not None
    assert refused(client.post("/transfer", data={"csrf_token": raw.split(".")[0]}))
    assert refused(client.post("/transfer", data={"csrf_token": "x" * 300}))
    twice = client.post("/transfer", data={"csrf_token": [token, token]})
    assert twice.status == 400


def test_a_forged_cookie_with_its_own_token_is_refused(make_app, make_client):
    client = make_client(build(make_app, {"tools.csrf.secret": SECRET}))
    forged_secret = "A" * 43
    headers = {"Cookie": f"csrf={forged_secret}.bm90LWEtc2lnbmF0dXJl"}
    result = client.post("/transfer", headers=headers, data={"csrf_token": mask(forged_secret)})
    assert refused(result)


def test_the_cookie_is_bound_to_the_login(make_app, make_client):
    section = {
        "tools.csrf.secret": SECRET,
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "bank",
        "tools.auth_basic.users": {"ann": "a-pw", "bob": "b-pw"},
    }
    app = build(make_app, section)
    ann = {"Authorization": "Basic YW5uOmEtcHc="}
    bob = {"Authorization": "Basic Ym9iOmItcHc="}
    attacker = make_client(app)
    page = attacker.get("/transfer", headers=bob)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = token_of(page)
    assert attacker.post("/transfer", headers=bob, data={"csrf_token": token}).text == "done"
    # Bob's cookie and token, planted in Ann's browser, do not pass as Ann's.
    planted = {**ann, "Cookie": cookie}
    victim = make_client(app)
    assert refused(victim.post("/transfer", headers=planted, data={"csrf_token": token}))


def test_over_https_the_cookie_is_host_prefixed_and_secure(make_app, make_client):
    client = make_client(
        build(make_app, {"tools.csrf.secret": SECRET}), base_url="https://localhost"
    )
    page = client.get("/transfer")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-csrf=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert client.post("/transfer", data={"csrf_token": token_of(page)}).text == "done"


def test_the_session_bound_token(make_app, make_client):
    section = {"tools.sessions.on": True}
    app = build(make_app, section)
    client = make_client(app)
    page = client.get("/transfer")
    token = token_of(page)
    assert "csrf=" not in page.headers.get("Set-Cookie", "")  # the session holds it
    assert "cookie" in page.headers["Vary"].lower()
    assert client.post("/transfer", data={"csrf_token": token}).text == "done"
    other = make_client(app)
    other.get("/transfer")  # a session of its own, with another secret
    assert refused(other.post("/transfer", data={"csrf_token": token}))


def test_the_raw_session_secret_passes_as_session_auth_forms_send_it(make_app, make_client):
    app = make_app({"/": {"tools.sessions.on": True, "tools.csrf.on": True}})

    @app.route("/raw", methods=["GET", "POST"])
    def raw(req, resp):
        if req.method == "POST":
            return "done"
        csrf_token(req)
        return req.session["_pegboard_csrf_token"]

    client = make_client(app)
    secret = client.get("/raw").text
    assert client.post("/raw", data={"csrf_token": secret}).text == "done"
    assert refused(client.post("/raw", data={"csrf_token": secret[:-1] + "x"}))


# -- session_auth: a forged login is refused before the login form sees it ----------------------


def test_a_cross_site_login_is_refused_and_a_same_origin_one_passes(make_app, make_client):
    def check(username, password):
        return username == "ann" and password == "pw"

    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.csrf.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": check,
            }
        }
    )
    app.route("/", lambda req, resp: f"hello {req.login}")
    client = make_client(app)
    form = client.get("/")
    given = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert given
    login = {"username": "ann", "password": "pw", "csrf_token": given.group(1), "from_page": "/"}
    forged = client.post("/do_login", data=login, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused(forged)
    assert client.get("/").text != "hello ann"
    own = client.post("/do_login", data=login, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status == 303
    assert client.get("/").text == "hello ann"


# -- the 403 -------------------------------------------------------------------------------------


def test_the_refusal_is_html_or_problem_json_by_accept(make_app, make_client):
    client = make_client(build(make_app))
    cross = {"Sec-Fetch-Site": "cross-site"}
    page = client.post("/transfer", headers=cross)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Sec-Fetch-Site: cross-site" in page.text
    assert lint_response(page, "POST") == []
    for accept in (
        "application/json",
        "application/problem+json",
        "application/json, text/*;q=0.5",
    ):
        problem = client.post("/transfer", headers={**cross, "Accept": accept})
        assert problem.status == 403
        assert problem.headers["Content-Type"] == "application/problem+json"
        body = problem.json()
        assert body["status"] == 403 and body["title"] == "Forbidden"
        assert "another site" in body["detail"]


def test_a_configured_error_page_and_problem_details_win(make_app, make_client, tmp_path):
    page = tmp_path / "403.html"
    page.write_text("<p>custom: $message</p>")
    client = make_client(build(make_app, {"error_page.403": str(page)}))
    assert client.post("/transfer", headers={"Sec-Fetch-Site": "cross-site"}).text.startswith(
        "<p>custom: This request was sent by a page of another site"
    )
    api = make_client(
        build(make_app, {"tools.json_out.on": True, "tools.json_out.problem_details": True})
    )
    problem = api.post("/transfer", headers={"Sec-Fetch-Site": "cross-site"})
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert "another site" in problem.json()["detail"]


def test_nothing_after_the_check_runs_for_a_refused_request(make_app, make_client):
    ran = []
    client = make_client(build(make_app, {"tools.json_in.on": True}, ran=ran))
    result = client.post(
        "/transfer",
        body=b"{not json",
        headers={"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
    )
    assert refused(result)  # json_in (30) never parsed the broken body
    assert ran == []


# -- accessors, options, plans -------------------------------------------------------------------


def test_the_token_where_csrf_is_off_says_how_to_turn_it_on(make_app, make_client):
    app = make_app()

    @app.route("/")
    def home(req, resp):
        try:
            csrf_token(req)
        except LookupError as exc:
            return str(exc)
        return "no error"

    assert "tools.csrf.on = true" in make_client(app).get("/").text


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ({"trusted_origins": ["https://app.example/"]}, "trusted_origins", "not an origin"),
        ({"trusted_origins": ["null"]}, "trusted_origins", "not an origin"),
        ({"header": "X CSRF"}, "header", "not a header name"),
        ({"cookie_name": "my cookie"}, "cookie_name", "not a cookie name"),
        ({"secret": "short"}, "secret", "at least 32"),
        ({"cookie_max_age": 0}, "cookie_max_age", "more than 0"),
        ({"field": ""}, "field", "needs a name"),
    ],
)
def test_options_that_cannot_work_are_refused(options, key, words):
    with pytest.raises(OptionError) as caught:
        CsrfOptions(**options)
    assert caught.value.key == key
    assert words in caught.value.message


def test_a_missing_secret_is_warned_about_only_where_the_cookie_is_used(make_app):
    app = make_app(
        {
            "/": {"tools.csrf.on": True},
            "/app": {"tools.sessions.on": True},
            "/api": {"tools.csrf.fallback": "allow"},
        }
    )
    app.compile()
    lines = [w.line() for w in app.config_warnings]
    assert [line for line in lines if "tools.csrf.secret" in line] == [
        "[/] tools.csrf.secret: without a secret, the double-submit cookie is signed with a key "
        "of this process: set one when the app runs in several processes"
    ]


def test_csrf_must_run_between_sessions_and_session_auth(make_app):
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.csrf.on": True,
                "tools.csrf.priority": 16,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": lambda u, p: False,
            }
        }
    )
    with pytest.raises(pegboard.ConfigError) as caught:
        app.compile()
    assert "csrf must run before session_auth" in str(caught.value)
    early = make_app(
        {"/": {"tools.sessions.on": True, "tools.csrf.on": True, "tools.csrf.priority": 5}}
    )
    with pytest.raises(pegboard.ConfigError, match="csrf must run after sessions"):
        early.compile()


def test_declared_hooks_are_the_attached_ones(make_app, make_client):
    app = build(make_app, {"tools.csrf.secret": SECRET})
    attached = {
        (point, hook.priority)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == "csrf"
    }
    assert attached == {(h.point, h.priority) for h in CsrfTool.hooks if not h.per_request}
    seen = []

    @app.route("/probe")
    def probe(req, resp):
        csrf_token(req)
        seen.extend((p, h.priority) for p, hooks in req.plan.hooks.items() for h in hooks)
        return "ok"

    make_client(app).get("/probe")
    per_request = {(h.point, h.priority) for h in CsrfTool.hooks if h.per_request}
    assert per_request <= set(seen)


def test_over_a_real_server(make_app, live_server):
    server = live_server(build(make_app))
    cross = httpx.post(server.url + "/transfer", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    own = httpx.post(server.url + "/transfer", headers={"Origin": server.url})
    assert own.status_code == 200 and own.text == "done"


def test_session_auth_leaves_its_token_check_to_csrf(make_app, make_client):
    def check(username, password):
        return username == "ann" and password == "pw"

    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.csrf.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": check,
            },
            "/public": {"tools.session_auth.on": False},
        }
    )

    @app.route("/public/token")
    def token(req, resp):
        return csrf_token(req)

    app.route("/", lambda req, resp: f"hello {req.login}")
    client = make_client(app)
    client.get("/")
    masked = client.get("/public/token").text
    login = {"username": "ann", "password": "pw", "from_page": "/", "csrf_token": masked}
    assert client.post("/do_login", data=login).status == 303
    assert client.get("/").text == "hello ann"
    same = {"Sec-Fetch-Site": "same-origin"}
    assert client.post("/do_logout", data={}, headers=same).status == 303
    assert refused(client.post("/do_login", data={**login, "csrf_token": "x" * 43}))
