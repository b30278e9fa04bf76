"""session_auth configuration: checked when the app starts; import strings; its plan rows."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

import pegboard
from pegboard.testing import Client
from pegboard_sessions import SessionAuthTool


def ok(username: str, password: str) -> bool:
    return (username, password) == ("alice", "secret")


def _page(req: Any, resp: Any) -> str:
    return f"user {req.login}"


def test_session_auth_without_sessions_is_a_config_error(make_app):
    app = make_app(
        {"/": {"tools.session_auth.on": True, "tools.session_auth.check_username_and_password": ok}}
    )
    app.route("/", _page)
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    assert caught.value.key == "tools.session_auth.on"
    assert "set tools.sessions.on = true" in str(caught.value)


def test_sessions_switched_off_below_is_a_config_error_naming_the_section(make_app):
    app = make_app(
        {
            "/": {"tools.sessions.on": True},
            "/admin": {
                "tools.sessions.on": False,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": ok,
            },
        }
    )
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    assert caught.value.section == "/admin"


def test_a_route_switching_it_on_without_sessions_is_a_config_error(make_app):
    app = make_app()

    @app.route("/secret")
    @pegboard.tools.session_auth(check_username_and_password=ok)
    def secret(req: Any, resp: Any) -> str:
        return "secret"

    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    assert caught.value.section == "route /secret"


@pytest.mark.parametrize(
    "priorities",
    [{"tools.session_auth.priority": 5}, {"tools.sessions.priority": 20}],
)
def test_session_auth_must_run_after_sessions(make_app, priorities):
    config = {
        "tools.sessions.on": True,
        "tools.session_auth.on": True,
        "tools.session_auth.check_username_and_password": ok,
        **priorities,
    }
    with pytest.raises(pegboard.ConfigError) as caught:
        make_app({"/": config}).start()
    assert caught.value.key == "tools.session_auth.priority"
    assert "must run after sessions" in str(caught.value)


def test_a_route_added_after_start_without_sessions_is_refused(make_app, make_client):
    app = make_app()
    app.start()
    with pytest.raises(pegboard.ConfigError, match=r"set tools\.sessions\.on = true"):
        app.route(
            "/late",
            _page,
            config={
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": ok,
            },
        )
    assert make_client(app).get("/late").status == 404  # never served unprotected


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({}, "check_username_and_password", "needs option 'check_username_and_password'"),
        ({"check_username_and_password": 42}, "check_username_and_password", "expected a callable"),
        (
            {"check_username_and_password": "no_such_module:check"},
            "check_username_and_password",
            "cannot import",
        ),
        (
            {"check_username_and_password": ok, "login_screen": "pegboard_sessions:nothing"},
            "login_screen",
            "cannot import",
        ),
        ({"check_username_and_password": ok, "on_login": 1}, "on_login", "expected Callable"),
        ({"check_username_and_password": ok, "session_key": ""}, "session_key", "non-empty"),
        ({"check_username_and_password": ok, "session_key": 3}, "session_key", "expected str"),
        ({"check_username_and_password": ok, "debug": "yes"}, "debug", "expected bool"),
        (
            {"check_username_and_password": ok, "login_path": "/x"},
            "login_path",
            "has no option 'login_path'",
        ),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(make_app, options, key, message):
    section = {"tools.sessions.on": True, "tools.session_auth.on": True}
    section.update({f"tools.session_auth.{k}": v for k, v in options.items()})
    with pytest.raises(pegboard.ConfigError) as caught:
        make_app({"/": section}).start()
    assert caught.value.key == f"tools.session_auth.{key}"
    assert message in str(caught.value)


def test_callables_may_be_import_strings(make_app, make_client, tmp_path, monkeypatch):
    (tmp_path / "site_auth.py").write_text(
        textwrap.dedent(
            """
            import html
            logins = []

            def check(username, password):
                return (username, password) == ("alice", "secret")

            def screen(*, from_page, username, error_msg, csrf_token, action, **extra):
                return (
                    f'<form action="{html.escape(action)}">'
                    f'<input name="csrf_token" value="{html.escape(csrf_token)}">'
                    f"<b>{html.escape(error_msg)}</b></form>"
                )

            def remember(username):
                logins.append(username)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    site = tmp_path / "site.toml"
    site.write_text(
        textwrap.dedent(
            """
            ["/"]
            tools.sessions.on = true
            tools.session_auth.on = true
            tools.session_auth.check_username_and_password = "site_auth:check"
            tools.session_auth.login_screen = "site_auth:screen"
            tools.session_auth.on_login = "site_auth:remember"
            """
        )
    )
    app = make_app(str(site))
    app.route("/", _page)
    client = make_client(app)
    form = client.get("/")
    assert form.text.startswith('<form action="/do_login">')
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        "/do_login", data={"username": "alice", "password": "x", "csrf_token": token}
    )
    assert refused.status == 403 and "<b>Wrong username or password.</b>" in refused.text
    data = {"username": "alice", "password": "secret", "csrf_token": token}
    assert client.post("/do_login", data=data).status == 303
    assert client.get("/").text == "user alice"
    import site_auth  # type: ignore[import-not-found]

    assert site_auth.logins == ["alice"]


def test_the_plugin_provides_both_tools_and_the_plan_shows_their_order(make_app):
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": ok,
            }
        }
    )
    app.route("/", _page)
    app.start()
    tool = app.tools.get("session_auth")
    assert isinstance(tool, SessionAuthTool)
    assert (tool.point, tool.priority, tool.points) == ("before_handler", 14, ("before_handler",))
    assert app.tools.get("sessions") is not None
    rows = [line.split() for plan in app.plans() for line in plan.describe()]
    before_handler = [row for row in rows if row[0] == "before_handler"]
    assert [row[1:3] for row in before_handler[:2]] == [
        ["10", "tools.sessions:"],
        ["14", "tools.session_auth:"],
    ]


def test_a_started_app_with_good_config_serves(make_app):
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": ok,
            }
        }
    )
    app.route("/", _page)
    app.start()
    assert Client(app).get("/").status == 200
