"""pegboard.AccessRule: pages of internals for local clients, listed networks, or an auth tool."""

from __future__ import annotations

import pytest

import pegboard


@pytest.fixture
def app(make_app):
    app = make_app()
    rule = pegboard.AccessRule(["10.1.0.0/16"], denied="Ask an admin to allow your network.")
    app.route("/internals", lambda req, resp: rule.check(req) or "internals")
    authed = pegboard.AccessRule(auth=True)
    app.route("/behind-auth", lambda req, resp: authed.check(req) or "ok")
    return app


@pytest.mark.parametrize(
    ("remote", "headers", "seen"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("10.1.2.3", {}, True),
        ("10.2.0.1", {}, False),
        ("192.0.2.7", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.5"}, False),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.5"}, False),
        ("not-an-ip", {}, False),
    ],
)
def test_who_sees_a_page_of_internals(app, make_client, remote, headers, seen):
    result = make_client(app, remote_addr=remote).get("/internals", headers=headers)
    if seen:
        assert result.text == "internals"
    else:
        assert result.status == 403 and "Ask an admin" in result.text


def test_an_auth_tool_on_the_path_decides_instead(app, make_client):
    assert make_client(app, remote_addr="192.0.2.7").get("/behind-auth").text == "ok"
