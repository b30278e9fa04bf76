"""The typed ways in: session_of(req), the session proxy, stores_of(app)."""

from __future__ import annotations

from typing import Any

import pytest

from pegboard_sessions import Session, session, session_of, stores_of


def test_session_of_is_the_request_s_session(make_app, make_client):
    app = make_app({"/": {"tools.sessions.on": True}})

    @app.route("/")
    def index(req: Any, resp: Any) -> str:
        found = session_of(req)
        assert isinstance(found, Session)
        assert found is req.session is req.state.session
        found["n"] = found.get("n", 0) + 1
        return str(req.session["n"])

    client = make_client(app)
    assert [client.get("/").text for _ in range(2)] == ["1", "2"]


def test_session_of_without_the_tool_says_what_to_switch_on(make_app, make_client):
    app = make_app({"/": {"tools.sessions.on": True}, "/open": {"tools.sessions.on": False}})

    @app.route("/open/page")
    def page(req: Any, resp: Any) -> str:
        with pytest.raises(RuntimeError) as caught:
            session_of(req)
        return str(caught.value)

    text = make_client(app).get("/open/page").text
    assert text == "no session for /open/page: set tools.sessions.on = true for this path"


def test_the_proxy_forwards_the_session_s_own_members(make_app, make_client):
    app = make_app({"/": {"tools.sessions.on": True}})

    @app.route("/login")
    def login(req: Any, resp: Any) -> str:
        assert not session.loaded and not session.locked
        before = session.id  # reads the store
        assert session.loaded
        session["user"] = "alice"
        session.regenerate()
        assert session.id != before and session.id == req.session.id
        return "ok"

    @app.route("/logout")
    def logout(req: Any, resp: Any) -> str:
        user = session.get("user")
        session.expire()
        return str(user)

    client = make_client(app)
    assert client.get("/login").text == "ok"
    assert client.get("/logout").text == "alice"
    assert client.get("/logout").text == "None"


def test_stores_of_lists_an_app_s_stores(make_app, tmp_path):
    app = make_app(
        {
            "/": {"tools.sessions.on": True},
            "/files": {
                "tools.sessions.storage_type": "file",
                "tools.sessions.storage_path": str(tmp_path),
            },
        }
    )
    assert stores_of(app) == []  # nothing compiled yet
    app.start()
    assert sorted(store.config.storage_type for store in stores_of(app)) == ["file", "ram"]
    assert stores_of(make_app({})) == []
