"""The documented configs load from TOML, and CherryPy-style INI configs move over."""

from __future__ import annotations

import textwrap

import pytest

import pegboard

README_TOML = """
["/"]
tools.request_id.on = true
tools.proxy.on = true
tools.proxy.trusted = ["10.0.0.0/8"]
tools.proxy.remote = "X-Forwarded-For"
tools.proxy.scheme = "X-Forwarded-Proto"
tools.access_log.on = true
tools.response_headers.on = true
tools.response_headers.headers = { X-Content-Type-Options = "nosniff", X-Frame-Options = "DENY" }
tools.trailing_slash.on = true

["/api"]
tools.allow.on = true
tools.allow.methods = ["GET", "POST"]
tools.accept.on = true
tools.accept.media = ["application/json", "text/csv"]
tools.params.on = true

["/blog/feed.xml"]
tools.redirect.on = true
tools.redirect.url = "/feed.xml"

["/old-shop"]
tools.redirect.on = true
tools.redirect.internal = false
tools.redirect.url = "https://shop.example.com/"
tools.redirect.status = 308
"""

CHERRYPY_INI = """
[/]
tools.proxy.on = True
tools.proxy.local = 'X-Forwarded-Host'
tools.response_headers.on = True
tools.response_headers.headers = [('X-Frame-Options', 'DENY'), ('Cache-Control', 'no-cache')]
tools.encode.on = True
tools.encode.encoding = 'utf-8'
tools.trailing_slash.on = True
tools.trailing_slash.extra = True

[/api]
tools.allow.on = True
tools.allow.methods = ['GET', 'POST']
tools.referer.on = True
tools.referer.pattern = r'^https://example\\.com/'
tools.referer.accept_missing = True
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_readme_config_works(tmp_path, make_app, make_client):
    app = make_app(_write(tmp_path, "site.toml", README_TOML))

    @app.route("/api/orders")
    def orders(req, resp, page: int = 1):
        resp.headers["Content-Type"] = req.accept_media
        return f"page {page}"

    app.route("/feed.xml", lambda req, resp: "<feed/>")
    app.route("/docs/", lambda req, resp: "docs")
    client = make_client(app)
    result = client.get("/api/orders?page=2", headers={"Accept": "text/csv"})
    assert result.text == "page 2"
    assert result.headers["X-Frame-Options"] == "DENY"
    assert client.delete("/api/orders").status == 405
    assert client.get("/blog/feed.xml").text == "<feed/>"  # no route needed at the old path
    moved = client.get("/old-shop")
    assert (moved.status, moved.headers["Location"]) == (308, "https://shop.example.com/")
    assert client.get("/docs").headers["Location"] == "http://localhost/docs/"


def test_a_cherrypy_ini_config_moves_over(tmp_path, make_app, make_client):
    app = make_app(_write(tmp_path, "site.ini", CHERRYPY_INI))
    app.route("/api/items", lambda req, resp: "items")
    client = make_client(app)
    result = client.get("/api/items/", headers={"Referer": "https://example.com/page"})
    assert result.status == 301
    result = client.get("/api/items", headers={"Referer": "https://example.com/page"})
    assert result.status == 200
    assert result.headers["Cache-Control"] == "no-cache"
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert client.get("/api/items", headers={"Referer": "https://evil.test/"}).status == 403


def test_a_typo_is_reported_with_a_suggestion(tmp_path, make_app):
    app = make_app({"/": {"tools.proxy.on": True, "tools.proxy.trust": ["10.0.0.0/8"]}})
    with pytest.raises(pegboard.ConfigError, match=r"did you mean 'trusted'"):
        app.start()
