"""session_auth over a real socket with a real client (requests.Session): the whole flow."""

from __future__ import annotations

import html
import re
from typing import Any

import requests

import pegboard
from pegboard_sessions import csrf_token

_INPUT = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]*)"')


def check(username: str, password: str) -> bool:
    return (username, password) == ("alice", "correct horse")


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _INPUT.findall(page)}


def make_site(make_app: Any) -> pegboard.App:
    app = make_app(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.session_auth.on": True,
                "tools.session_auth.check_username_and_password": check,
            }
        }
    )

    @app.route("/reports/{year:int}")
    def report(req: Any, resp: Any, year: int) -> str:
        token = html.escape(csrf_token(req.session))
        return (
            f"<p>report {year} for {html.escape(req.login)}</p>"
            '<form method="post" action="/do_logout">'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            '<input type="hidden" name="from_page" value="/reports/2024">'
            "</form>"
        )

    return app


def test_the_whole_login_flow_with_a_real_client(make_app, live_server):
    server = live_server(make_site(make_app))
    url = server.url
    with requests.Session() as http:
        form = http.get(url + "/reports/2024?view=full", timeout=10)
        assert form.status_code == 200 and "<p>report" not in form.text
        assert form.headers["Cache-Control"] == "no-store"
        fields = hidden_fields(form.text)
        assert fields["from_page"] == "/reports/2024?view=full"
        action = _ACTION.search(form.text).group(1)  # type: ignore[union-attr]
        anonymous_id = http.cookies["session_id"]

        # No token: refused before the password is looked at.
        refused = http.post(
            url + action, data={"username": "alice", "password": "correct horse"}, timeout=10
        )
        assert refused.status_code == 403

        wrong = http.post(
            url + action, data={**fields, "username": "alice", "password": "nope"}, timeout=10
        )
        assert wrong.status_code == 403 and "Wrong username or password." in wrong.text

        done = http.post(
            url + action,
            data={**fields, "username": "alice", "password": "correct horse"},
            timeout=10,
        )
        assert [r.status_code for r in done.history] == [303]
        assert done.history[0].headers["Location"] == url + "/reports/2024?view=full"
        assert done.status_code == 200 and "<p>report 2024 for alice</p>" in done.text
        assert http.cookies["session_id"] != anonymous_id

        assert http.get(url + "/do_logout", timeout=10).status_code == 405
        logout = http.post(url + "/do_logout", data=hidden_fields(done.text), timeout=10)
        assert [r.status_code for r in logout.history] == [303]
        assert logout.url == url + "/reports/2024"
        assert "<p>report" not in logout.text and 'name="password"' in logout.text
        assert "session_id" not in http.cookies or http.cookies["session_id"] != anonymous_id


def test_bad_requests_over_a_real_socket(make_app, live_server):
    server = live_server(make_site(make_app))
    url = server.url
    with requests.Session() as http:
        get = http.get(url + "/do_login?username=alice&password=correct+horse", timeout=10)
        assert get.status_code == 405 and get.headers["Allow"] == "POST"

        fields = hidden_fields(http.get(url + "/reports/1", timeout=10).text)
        evil = http.post(
            url + "/reports/1/do_login",
            data={
                **fields,
                "from_page": "//evil.example/phish",
                "username": "alice",
                "password": "correct horse",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert evil.status_code == 303
        assert evil.headers["Location"] == url + "/"

        huge = http.post(
            url + "/reports/1/do_login",
            data={**fields, "username": "u" * 100_000, "password": "p"},
            timeout=10,
        )
        assert huge.status_code == 403  # the token changed with the login above
        fields = hidden_fields(huge.text)
        huge = http.post(
            url + "/reports/1/do_login",
            data={**fields, "username": "u" * 100_000, "password": "p"},
            timeout=10,
        )
        assert huge.status_code == 400 and "too long" in huge.text
