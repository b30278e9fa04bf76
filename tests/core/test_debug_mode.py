"""Debug mode: tracebacks only for loopback clients that no proxy stands in front of."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(make_app):
    app = make_app()

    @app.route("/boom")
    def boom(req, resp):
        raise ValueError("inner detail")

    app.debug = True
    return app


@pytest.mark.parametrize(
    ("remote", "headers", "shown"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("10.0.0.7", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.1"}, False),
        ("127.0.0.1", {"Forwarded": "for=198.51.100.1"}, False),
        ("127.0.0.1", {"X-Real-IP": "198.51.100.1"}, False),
    ],
)
def test_who_sees_a_traceback(app, make_client, remote, headers, shown):
    result = make_client(app, remote_addr=remote).get("/boom", headers=headers)
    assert result.status == 500
    assert ("inner detail" in result.text) is shown


def test_off_by_default(make_app, make_client):
    app = make_app()
    app.route("/boom", lambda req, resp: 1 / 0)
    assert "ZeroDivisionError" not in make_client(app).get("/boom").text
