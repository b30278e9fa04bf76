"""What each framework's users reach for: Django's auth on pegboard's sessions, Flask's session by path.

With ``pegboard.integrations.django.PegboardMiddleware``, django.contrib.auth's
``login()`` and ``logout()`` run on pegboard's session (its key cycled at
login, ended at logout); with ``pegboard.integrations.flask.init_app``,
``flask.session`` is pegboard's session where ``tools.sessions`` is on and
Flask's own signed cookie elsewhere, so a site adopts the tool path by path.
"""

from __future__ import annotations

from typing import Any

import pytest

from pegboard.testing import Client

from .conftest import tool_config


def _cookie(client: Client, name: str) -> str | None:
    return next((c.value for c in client.cookies if c.name == name), None)


@pytest.mark.parametrize("store", ["ram", "redis"])
def test_django_auth_logs_in_and_out_on_pegboards_session(
    wrap_site: Any, request: pytest.FixtureRequest, store: str
) -> None:
    redis_url = request.getfixturevalue("redis_server").url if store == "redis" else None
    app, _ = wrap_site("django", {"/": tool_config({"sessions"}, store, redis_url)})
    client = Client(app)
    client.get("/data?user=before-login")  # a session exists before the login
    before = _cookie(client, "session_id")
    assert before and _cookie(client, "sessionid") is None  # pegboard's cookie, not Django's
    assert client.get("/whoami").text == "anonymous"

    refused = client.post("/login", data={"username": "carol", "password": "wrong"})
    assert refused.status == 403
    signed_in = client.post("/login", data={"username": "carol", "password": "carol-test-password"})
    assert signed_in.text == "signed in as carol"
    after = _cookie(client, "session_id")
    assert after and after != before  # login() cycled the key: no session fixation
    assert client.get("/whoami").text == "carol"  # AuthenticationMiddleware read the session

    old_id = {"Cookie": f"session_id={before}"}
    assert Client(app).get("/whoami", headers=old_id).text == "anonymous"

    assert client.post("/logout").text == "signed out"
    assert client.get("/whoami").text == "anonymous"
    assert Client(app).get("/whoami", headers={"Cookie": f"session_id={after}"}).text == "anonymous"


def test_flask_session_is_pegboards_where_the_tool_is_on_and_flasks_elsewhere(
    wrap_site: Any,
) -> None:
    app, _ = wrap_site(
        "flask", {"/": {"tools.sessions.on": True}, "/plain": {"tools.sessions.on": False}}
    )
    client = Client(app)
    assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    assert _cookie(client, "session_id") is not None and _cookie(client, "session") is None
    assert [client.get("/plain/count").text for _ in range(2)] == ["1", "2"]
    assert _cookie(client, "session") is not None  # Flask's signed cookie, as before
    assert client.get("/count").text == "4"  # the two never mix
