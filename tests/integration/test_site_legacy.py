"""The example site's /legacy: a Flask app mounted with pegboard's tools around it.

``app.mount("/legacy", flask_app, tools=True)`` and the ``/legacy`` sections of
site.toml: the Flask pages share the pegboard pages' session, get the site's
security headers, request id, gzip and ETags, and /legacy/history is answered
from pegboard's cache. In-process (wsgiref.validate on every response) and
over a live server with httpx.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

import pegboard
from pegboard.testing import Client
from pegboard.testing.httpcheck import decode_body, lint_response

from .conftest import SITE_DIR


def _number(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, html
    return found.group(1)


def test_the_flask_pages_share_the_session_of_the_pegboard_pages(site: pegboard.App) -> None:
    client = Client(site)
    client.get("/")
    client.get("/")  # two visits to pegboard's home page
    first = client.get("/legacy/", headers={"Accept-Encoding": "gzip"})
    assert first.status == 200
    html = decode_body(first.headers.get("Content-Encoding"), first.body).decode()
    assert "The old site (Flask)" in html
    assert _number(html, "legacy-visits") == "1"
    assert _number(html, "home-visits") == "2"  # what the pegboard page put in the session
    assert _number(html, "legacy-who") == "not signed in"
    again = client.get("/legacy/")
    assert _number(again.text, "legacy-visits") == "2"
    assert _number(client.get("/").text, "visits") == "3"  # the Flask page kept the counter


def test_the_sites_tools_run_around_the_flask_app(site: pegboard.App) -> None:
    client = Client(site)
    page = client.get("/legacy/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Request-Id"] in decode_body("gzip", page.body).decode()
    assert "X-Response-Time" in page.headers
    assert lint_response(page, request_headers=[("Accept-Encoding", "gzip")]) == []

    status = client.get("/legacy/status")
    assert status.json() == {"framework": "flask", "mounted_at": "/legacy", "user": None}
    etag = status.headers["ETag"]
    revalidated = client.get("/legacy/status", headers={"If-None-Match": etag})
    assert revalidated.status == 304 and revalidated.headers["ETag"] == etag

    resting = client.get("/legacy/fail")
    assert resting.status == 503 and resting.headers["Retry-After"] == "5"
    assert "The old site is resting." in resting.text  # pegboard's error page
    assert client.get("/legacy/nothing-here").status == 404  # Flask's own 404


def test_the_slow_flask_page_comes_from_pegboards_cache(site: pegboard.App) -> None:
    client = Client(site)
    first = client.get("/legacy/history")
    assert first.headers["Cache-Status"].endswith("stored")
    hit = client.get("/legacy/history")
    assert hit.headers["Cache-Status"].startswith("pegboard; hit")
    assert _number(hit.text, "history-generated") == _number(first.text, "history-generated")
    assert "request id" not in hit.text  # a cached page names no request in its body
    assert hit.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def test_a_signed_in_user_is_seen_by_the_flask_app(site: pegboard.App) -> None:
    client = Client(site)
    form = client.get("/account").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    login = client.post(
        "/account/do_login",
        data={
            "username": "alice",
            "password": "demo-alice-password",
            "from_page": "/account",
            "csrf_token": token.group(1),
        },
    )
    assert login.status == 303
    assert "signed in as <strong>alice</strong>" in client.get("/legacy/").text
    assert client.get("/legacy/status").json()["user"] == "alice"


def test_about_and_routes_list_the_mounted_app(site: pegboard.App, capsys: Any) -> None:
    from pegboard.cli import main

    about = Client(site).get("/about/").text
    assert "WSGI app /legacy/*" in about
    assert main(["routes", str(SITE_DIR / "app.py")]) == 0
    out = capsys.readouterr().out
    assert "/legacy/*  [*]  -> WSGI app flask.app.Flask, tools around it" in out


def test_the_flask_app_over_a_live_server(site: pegboard.App, live_server: Any) -> None:
    server = live_server(site)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        client.get("/")
        page = client.get("/legacy/", headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
        assert _number(page.text, "home-visits") == "1"
        moved = client.get("/legacy", follow_redirects=False)
        assert moved.status_code in (301, 308) and moved.headers["Location"].endswith("/legacy/")
        assert client.get("/legacy/history").headers["Cache-Status"].endswith("stored")
        assert client.get("/legacy/history").headers["Cache-Status"].startswith("pegboard; hit")
