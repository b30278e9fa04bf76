"""session_auth in-process: the login flow, CSRF, from_page, escaping, and bad input."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

import pegboard
from pegboard.testing import Client
from pegboard_sessions import csrf_token

USERS = {"alice": "correct horse", "bob": "hunter2"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
_FROM_PAGE = re.compile(r'name="from_page" value="([^"]*)"')
_ACTION = re.compile(r'<form method="post" action="([^"]*)"')


def check(username: str, password: str) -> bool:
    expected = USERS.get(username, "")
    # The same work whether or not the user exists.
    same = hmac.compare_digest(expected.encode(), password.encode())
    return same and username in USERS


def token_of(result: Any) -> str:
    found = _TOKEN.search(result.text)
    assert found, result.text
    return found.group(1)


def field(pattern: re.Pattern[str], result: Any) -> str:
    found = pattern.search(result.text)
    assert found, result.text
    return found.group(1)


def add_pages(app: pegboard.App) -> pegboard.App:
    @app.route("/")
    def home(req: Any, resp: Any) -> str:
        return f"home of {req.login}"

    @app.route("/account")
    def account(req: Any, resp: Any) -> str:
        token = csrf_token(req.session)
        return (
            f"<p>user {req.login}</p>"
            f'<form method="post" action="/do_logout">'
            f'<input type="hidden" name="csrf_token" value="{token}"></form>'
        )

    @app.route("/public/info")
    def info(req: Any, resp: Any) -> str:
        return f"public, login={req.login}"

    return app


@pytest.fixture
def auth_app(make_app: Callable[..., pegboard.App]) -> Callable[..., pegboard.App]:
    """``auth_app(**options)``: sessions and session_auth on "/", off on "/public"."""

    def factory(sessions: dict[str, Any] | None = None, **options: Any) -> pegboard.App:
        options.setdefault("check_username_and_password", check)
        config = {
            "/": {
                "tools.sessions.on": True,
                **{f"tools.sessions.{k}": v for k, v in (sessions or {}).items()},
                "tools.session_auth.on": True,
                **{f"tools.session_auth.{k}": v for k, v in options.items()},
            },
            "/public": {"tools.session_auth.on": False},
        }
        return add_pages(make_app(config))

    return factory


def login(
    client: Client,
    page: str = "/account",
    username: str = "alice",
    password: str = "correct horse",
    **extra: Any,
) -> Any:
    """GET ``page`` (the login form), then post the form with the credentials."""
    form = client.get(page)
    data = {
        "username": username,
        "password": password,
        "from_page": field(_FROM_PAGE, form),
        "csrf_token": token_of(form),
        **extra,
    }
    return client.post(field(_ACTION, form), data=data)


# -- the flow -----------------------------------------------------------------------------


def test_a_protected_page_answers_with_the_login_form(auth_app, make_client):
    result = make_client(auth_app()).get("/account?tab=2")
    assert result.status == 200
    assert "<p>user" not in result.text  # the handler did not run
    assert field(_ACTION, result) == "/account/do_login"
    assert field(_FROM_PAGE, result) == "/account?tab=2"
    assert len(token_of(result)) == 43
    assert result.headers["Cache-Control"] == "no-store"
    assert result.headers["X-Frame-Options"] == "DENY"
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert result.headers["Vary"] == "Cookie"
    cookie = result.headers["Set-Cookie"]
    assert cookie.startswith("session_id=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_redirects_back_and_logout_ends_the_session(backend, make_app, make_client):
    config = backend.config()
    config["/"].update(
        {"tools.session_auth.on": True, "tools.session_auth.check_username_and_password": check}
    )
    client = make_client(add_pages(make_app(config)))
    before = client.get("/account?tab=2")
    anonymous_id = client.cookie("session_id")
    assert anonymous_id is not None

    result = login(client, "/account?tab=2")
    assert result.status == 303
    assert result.headers["Location"] == "http://localhost/account?tab=2"
    assert client.cookie("session_id") not in (None, anonymous_id)  # a new id at login

    page = client.get("/account?tab=2")
    assert page.status == 200 and "<p>user alice</p>" in page.text
    assert token_of(page) != token_of(before)  # the token changes with the login

    result = client.post("/do_logout", data={"csrf_token": token_of(page)})
    assert result.status == 303
    assert result.headers["Location"] == "http://localhost/"
    assert "Max-Age=0" in result.headers["Set-Cookie"]
    after = client.get("/account")
    assert "user alice" not in after.text and token_of(after)


def test_the_id_from_before_the_login_is_worthless_after_it(auth_app, make_client):
    app = auth_app()
    client = make_client(app)
    client.get("/account")
    planted = client.cookie("session_id")  # what a session-fixation attacker would know
    assert login(client).status == 303
    assert "user alice" in client.get("/account").text
    thief = make_client(app).get("/account", headers={"Cookie": f"session_id={planted}"})
    assert "user alice" not in thief.text and token_of(thief)


def test_req_login_is_set_and_public_sections_stay_open(auth_app, make_client):
    client = make_client(auth_app())
    public = client.get("/public/info")
    assert public.status == 200 and public.text == "public, login=None"
    assert "Set-Cookie" not in public.headers
    login(client, "/")
    assert client.get("/").text == "home of alice"


def test_the_login_screen_endpoint(auth_app, make_client):
    client = make_client(auth_app())
    result = client.get("/login_screen?from_page=/account%3Ftab%3D1")
    assert result.status == 200
    assert field(_FROM_PAGE, result) == "/account?tab=1"
    assert field(_ACTION, result) == "/do_login"
    assert field(_FROM_PAGE, client.get("/login_screen?from_page=https://evil.example/")) == "/"
    assert field(_FROM_PAGE, client.get("/login_screen")) == "/"


def test_the_form_sent_from_the_do_login_url_posts_there_again(auth_app, make_client):
    client = make_client(auth_app())
    failed = login(client, "/account", password="nope")
    assert failed.status == 403
    assert field(_ACTION, failed) == "/account/do_login"
    assert field(_FROM_PAGE, failed) == "/account"


def test_a_mounted_app_keeps_its_script_name(auth_app, make_client):
    client = make_client(auth_app())
    mounted = {"SCRIPT_NAME": "/site"}
    form = client.get("/account", environ=mounted)
    assert field(_ACTION, form) == "/site/account/do_login"
    assert field(_FROM_PAGE, form) == "/site/account"
    data = {"username": "alice", "password": "correct horse", "csrf_token": token_of(form)}
    result = client.post("/account/do_login", data=data, environ=mounted)
    assert result.headers["Location"] == "http://localhost/site/"


# -- methods and CSRF ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/do_login", "POST"),
        ("HEAD", "/do_login", "POST"),
        ("PUT", "/account/do_login", "POST"),
        ("GET", "/do_logout", "POST"),
        ("DELETE", "/do_logout", "POST"),
        ("POST", "/login_screen", "GET, HEAD"),
    ],
)
def test_wrong_methods_are_405_with_allow(auth_app, make_client, method, path, allow):
    result = make_client(auth_app()).request(method, path + "?username=alice&password=x")
    assert result.status == 405
    assert result.headers["Allow"] == allow


@pytest.mark.parametrize(
    "token",
    [None, "", "x" * 43, "y" * 500, "jeton-périmé-" + "z" * 30],
    ids=["missing", "empty", "wrong", "overlong", "non-ascii"],
)
def test_do_login_without_the_right_csrf_token_is_403(auth_app, make_client, token):
    calls: list[str] = []

    def counting_check(username: str, password: str) -> bool:
        calls.append(username)
        return check(username, password)

    client = make_client(auth_app(check_username_and_password=counting_check))
    client.get("/account")
    data = {"username": "alice", "password": "correct horse", "from_page": "/account"}
    if token is not None:
        data["csrf_token"] = token
    result = client.post("/account/do_login", data=data)
    assert result.status == 403
    assert "The login form has expired or was not sent by this site" in result.text
    assert len(token_of(result)) == 43  # a form the user can send again
    assert calls == []  # the password was never checked
    assert "user alice" not in client.get("/account").text


def test_a_token_from_another_session_is_refused(auth_app, make_client):
    app = auth_app()
    attacker, victim = make_client(app), make_client(app)
    stolen = token_of(attacker.get("/account"))
    victim.get("/account")
    data = {"username": "alice", "password": "correct horse", "csrf_token": stolen}
    assert victim.post("/account/do_login", data=data).status == 403


def test_a_cross_site_post_without_a_session_is_refused(auth_app, make_client):
    data = {"username": "alice", "password": "correct horse", "csrf_token": "x" * 43}
    result = make_client(auth_app()).post("/do_login", data=data)
    assert result.status == 403


def test_the_token_may_come_in_a_header(auth_app, make_client):
    client = make_client(auth_app())
    token = token_of(client.get("/account"))
    data = {"username": "alice", "password": "correct horse"}
    result = client.post("/do_login", data=data, headers={"X-CSRF-Token": token})
    assert result.status == 303


def test_do_logout_needs_the_csrf_token(auth_app, make_client):
    client = make_client(auth_app())
    login(client)
    for data in ({}, {"csrf_token": "forged"}):
        result = client.post("/do_logout", data=data)
        assert result.status == 403
        assert "The logout form has expired" in result.text
    assert "user alice" in client.get("/account").text  # still logged in


# -- credentials ---------------------------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(auth_app, make_client):
    app = auth_app()
    wrong = login(make_client(app), username="alice", password="nope")
    unknown = login(make_client(app), username="mallory", password="nope")
    assert wrong.status == unknown.status == 403
    assert "Wrong username or password." in wrong.text
    assert sorted(wrong.headers) == sorted(unknown.headers)
    strip = lambda r: _TOKEN.sub("", r.text).replace("alice", "U").replace("mallory", "U")
    assert strip(wrong) == strip(unknown)


def test_a_failed_login_keeps_nobody_logged_in(auth_app, make_client):
    client = make_client(auth_app())
    assert login(client, password="nope").status == 403
    assert "user alice" not in client.get("/account").text
    assert login(client, username="bob", password="hunter2").status == 303  # may try again
    assert "user bob" in client.get("/account").text


def test_a_check_returning_none_does_not_log_in(auth_app, make_client, caplog):
    # CherryPy's checks return None for success; a forgotten return must not let anyone in.
    client = make_client(auth_app(check_username_and_password=lambda u, p: None))
    with caplog.at_level(logging.WARNING, logger="pegboard_sessions.session_auth"):
        assert login(client).status == 403
    assert "returned None" in caplog.text
    refused = make_client(auth_app(check_username_and_password=lambda u, p: "bad password"))
    assert login(refused).status == 403


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("a" * 257, "x", "too long"),
        ("alice", "x" * 1025, "too long"),
        ("", "correct horse", "Enter a username and a password."),
        ("alice", "", "Enter a username and a password."),
        ("ali\nce", "correct horse", "not allowed"),
        ("alice", "correct\x00horse", "not allowed"),
    ],
    ids=["long-user", "long-password", "no-user", "no-password", "newline", "nul"],
)
def test_malformed_credentials_are_400_without_a_check(
    auth_app, make_client, username, password, message
):
    calls: list[str] = []
    client = make_client(auth_app(check_username_and_password=lambda u, p: calls.append(u)))
    result = login(client, username=username, password=password)
    assert result.status == 400
    assert message in result.text
    assert calls == []
    assert "a" * 257 not in result.text  # an overlong username is not echoed


def test_a_repeated_field_is_400(auth_app, make_client):
    client = make_client(auth_app())
    token = token_of(client.get("/account"))
    body = f"username=alice&username=bob&password=correct+horse&csrf_token={token}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    result = client.post("/do_login", body=body, headers=headers)
    assert result.status == 400
    assert "The field username was sent more than once." in result.text


def test_a_body_that_is_not_a_form_is_a_403_without_a_token(auth_app, make_client):
    client = make_client(auth_app())
    client.get("/account")
    result = client.post("/do_login", json={"username": "alice", "password": "correct horse"})
    assert result.status == 403


# -- from_page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_page", "location"),
    [
        ("/account?tab=2", "http://localhost/account?tab=2"),
        ("http://localhost/account", "http://localhost/account"),
        ("HTTP://LOCALHOST:80/account", "http://localhost/account"),
        ("../public/info", "http://localhost/public/info"),
        ("/caf\u00e9?q=\u00e9", "http://localhost/caf%C3%A9?q=%C3%A9"),
        ('/x"><script>', "http://localhost/x%22%3E%3Cscript%3E"),
        ("https://evil.example/", "http://localhost/"),
        ("https://localhost/account", "http://localhost/"),
        ("//evil.example/x", "http://localhost/"),
        ("///evil.example/x", "http://localhost/"),
        ("/\\evil.example", "http://localhost/"),
        ("\\\\evil.example", "http://localhost/"),
        ("/\t/evil.example", "http://localhost/"),
        (" //evil.example", "http://localhost/"),
        ("/.//evil.example", "http://localhost/"),
        ("javascript:alert(1)", "http://localhost/"),
        ("http:evil.example", "http://localhost/"),
        ("http://localhost@evil.example/", "http://localhost/"),
        ("http://evil.example\\@localhost/", "http://localhost/"),
        ("/" + "a" * 3000, "http://localhost/"),
        ("", "http://localhost/"),
    ],
)
def test_from_page_stays_on_the_site(auth_app, make_client, from_page, location):
    client = make_client(auth_app())
    result = login(client, "/account", from_page=from_page)
    assert result.status == 303
    assert result.headers["Location"] == location


def test_logout_goes_to_from_page_on_this_site_only(auth_app, make_client):
    app = auth_app()
    for from_page, location in (
        ("/public/info", "http://localhost/public/info"),
        ("https://evil.example/", "http://localhost/"),
    ):
        client = make_client(app)
        login(client)
        token = token_of(client.get("/account"))
        result = client.post("/do_logout", data={"csrf_token": token, "from_page": from_page})
        assert result.headers["Location"] == location


# -- escaping --------------------------------------------------------------------------------


def test_the_login_form_escapes_what_it_echoes(auth_app, make_client):
    client = make_client(auth_app())
    evil = '"><script>alert(1)</script>'
    page = client.get("/account?q=" + evil.replace(" ", "+"))
    assert "<script>" not in page.text
    assert "&quot;&gt;&lt;script&gt;" in page.text
    failed = login(client, username='x"><img src=y onerror=alert(1)>', password="p")
    assert failed.status == 403
    assert "<img" not in failed.text
    assert 'value="x&quot;&gt;&lt;img src=y onerror=alert(1)&gt;"' in failed.text


# -- callbacks -------------------------------------------------------------------------------


def test_on_login_on_check_and_on_logout_are_called(auth_app, make_client):
    events: list[tuple[str, str]] = []
    app = auth_app(
        on_login=lambda u: events.append(("login", u)),
        on_check=lambda u: events.append(("check", u)),
        on_logout=lambda u: events.append(("logout", u)),
    )
    client = make_client(app)
    login(client)
    page = client.get("/account")
    client.post("/do_logout", data={"csrf_token": token_of(page)})
    assert events == [("login", "alice"), ("check", "alice"), ("logout", "alice")]


def test_on_check_may_refuse_a_logged_in_user(auth_app, make_client):
    def banned(username: str) -> None:
        if username == "bob":
            raise pegboard.HTTPError(403, "This account is locked.")

    client = make_client(auth_app(on_check=banned))
    login(client, username="bob", password="hunter2")
    result = client.get("/account")
    assert result.status == 403 and "This account is locked." in result.text


def test_anonymous_gives_a_name_without_a_login(auth_app, make_client):
    client = make_client(auth_app(anonymous=lambda: "guest"))
    assert client.get("/").text == "home of guest"
    login(client, "/login_screen")
    assert client.get("/").text == "home of alice"


def test_a_custom_login_screen_gets_the_values(auth_app, make_client):
    seen: dict[str, Any] = {}

    def screen(**values: Any) -> str:
        seen.update(values)
        return "<p>custom</p>"

    result = make_client(auth_app(login_screen=screen)).get("/account?x=1")
    assert result.status == 200 and result.text == "<p>custom</p>"
    assert seen["from_page"] == "/account?x=1"
    assert seen["action"] == "/account/do_login"
    assert seen["username"] == "" and seen["error_msg"] == ""
    assert len(seen["csrf_token"]) == 43


def test_session_key_names_the_session_entry(auth_app, make_client):
    app = auth_app(session_key="user")

    @app.route("/raw")
    def raw(req: Any, resp: Any) -> str:
        return repr(req.session.get("user"))

    client = make_client(app)
    login(client)
    assert client.get("/raw").text == "'alice'"
