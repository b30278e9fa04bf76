"""The allow tool: 405 with Allow, HEAD implied by GET, OPTIONS answered."""

from __future__ import annotations

import pytest

import pegboard


def _app(make_app, **options):
    config = {"tools.allow.on": True, **{f"tools.allow.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    app.route("/thing", lambda req, resp: "thing")
    return app


def test_default_allows_get_and_head_only(make_app, make_client):
    client = make_client(_app(make_app))
    ok = client.get("/thing")
    assert ok.status == 200
    assert ok.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.head("/thing").status == 200
    refused = client.post("/thing", body=b"x")
    assert refused.status == 405
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_listed_methods_are_case_insensitive_and_head_follows_get(make_app, make_client):
    client = make_client(_app(make_app, methods=["post", "get"]))
    assert client.post("/thing", body=b"x").status == 200
    assert client.head("/thing").status == 200
    refused = client.delete("/thing")
    assert refused.status == 405
    assert refused.headers["Allow"] == "POST, GET, HEAD, OPTIONS"


def test_a_single_string_is_one_method(make_app, make_client):
    client = make_client(_app(make_app, methods="PUT"))
    assert client.put("/thing", body=b"x").status == 200
    assert client.get("/thing").status == 405


def test_options_is_answered_with_204_and_allow(make_app, make_client):
    client = make_client(_app(make_app, methods=["GET"]))
    result = client.options("/thing")
    assert result.status == 204
    assert result.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert result.body == b""


def test_options_listed_reaches_the_handler(make_app, make_client):
    app = make_app({"/": {"tools.allow.on": True, "tools.allow.methods": ["GET", "OPTIONS"]}})
    app.route("/thing", lambda req, resp: f"handled {req.method}")
    result = make_client(app).options("/thing")
    assert result.status == 200
    assert result.text == "handled OPTIONS"
    assert result.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_on_per_route_with_the_decorator(make_app, make_client):
    app = make_app()

    @app.route("/form")
    @pegboard.tools.allow(methods=["POST"])
    def form(req, resp):
        return "posted"

    app.route("/free", lambda req, resp: "free")
    client = make_client(app)
    assert client.get("/form").status == 405
    assert client.post("/form", body=b"").text == "posted"
    assert client.delete("/free").status == 200


@pytest.mark.parametrize("methods", [["GE T"], [], ["GET\r\nX: y"]])
def test_bad_method_names_are_config_errors(make_app, methods):
    app = make_app({"/": {"tools.allow.on": True, "tools.allow.methods": methods}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.allow\.methods"):
        app.start()


def test_wrong_type_is_a_config_error(make_app):
    app = make_app({"/": {"tools.allow.on": True, "tools.allow.methods": 5}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.allow\.methods"):
        app.start()
