"""The accept tool: media type negotiation, 406, 400 for a malformed Accept."""

from __future__ import annotations

import pytest

import pegboard


def _client(make_app, make_client, media):
    app = make_app({"/": {"tools.accept.on": True, "tools.accept.media": media}})

    @app.route("/doc")
    def doc(req, resp):
        resp.headers["Content-Type"] = req.accept_media
        return "chosen"

    return make_client(app)


MEDIA = ["text/html", "application/json"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "text/html"),
        ("", "text/html"),
        ("*/*", "text/html"),
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        ("text/html;q=0.5, application/json", "application/json"),
        ("application/json;q=0.2, text/*;q=0.4", "text/html"),
        # the most specific range sets an offer's quality, whatever the order
        ("*/*;q=0.9, text/html;q=0.1", "application/json"),
        ("text/*;q=0.2, text/html;q=0.8, */*;q=0.5", "text/html"),
        # equal quality: the server's order decides
        ("application/json, text/html", "text/html"),
        # Java's HttpURLConnection default, with a bare "*" and "q=.2"
        ("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", "text/html"),
        ("TEXT/HTML", "text/html"),
    ],
)
def test_negotiation(make_app, make_client, accept, chosen):
    client = _client(make_app, make_client, MEDIA)
    headers = {} if accept is None else {"Accept": accept}
    result = client.get("/doc", headers=headers)
    assert result.status == 200
    assert result.headers["Content-Type"].startswith(chosen)
    assert result.headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    "accept",
    ["image/png", "text/html;q=0, application/json;q=0", "*/*;q=0", "application/xml"],
)
def test_nothing_acceptable_is_406_naming_the_types(make_app, make_client, accept):
    result = _client(make_app, make_client, MEDIA).get("/doc", headers={"Accept": accept})
    assert result.status == 406
    assert "text/html, application/json" in result.text
    assert result.headers["Vary"] == "Accept"


def test_an_excluded_type_is_refused_even_under_a_wildcard(make_app, make_client):
    client = _client(make_app, make_client, ["text/csv"])
    assert client.get("/doc", headers={"Accept": "*/*, text/csv;q=0"}).status == 406


def test_media_type_parameters_must_match(make_app, make_client):
    client = _client(make_app, make_client, ["text/plain; format=flowed", "text/plain"])
    result = client.get("/doc", headers={"Accept": "text/plain;format=flowed"})
    assert result.headers["Content-Type"].startswith("text/plain; format=flowed")
    # the more specific range lowers the flowed variant below plain text
    result = client.get("/doc", headers={"Accept": "text/plain;format=flowed;q=0.1, text/plain"})
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "accept",
    [
        "garbage",
        "text/",
        "/html",
        "*/html",
        "text/html;q=abc",
        "text/html;q=2",
        "text/html;q=-1",
        "text/html;level",
        'text/html;x="unterminated',
        "text/h tml",
    ],
)
def test_malformed_accept_is_400(make_app, make_client, accept):
    result = _client(make_app, make_client, MEDIA).get("/doc", headers={"Accept": accept})
    assert result.status == 400
    assert "Malformed Accept header" in result.text


def test_a_single_string_is_one_type(make_app, make_client):
    client = _client(make_app, make_client, "application/json")
    assert client.get("/doc").headers["Content-Type"] == "application/json"
    assert client.get("/doc", headers={"Accept": "text/html"}).status == 406


def test_without_media_the_tool_does_nothing(make_app, make_client):
    app = make_app({"/": {"tools.accept.on": True}})
    app.route("/doc", lambda req, resp: "plain")
    result = make_client(app).get("/doc", headers={"Accept": "image/png"})
    assert result.status == 200
    assert "Vary" not in result.headers


@pytest.mark.parametrize("media", [["text/*"], ["html"], ["*/*"], [3]])
def test_bad_media_is_a_config_error(make_app, media):
    app = make_app({"/": {"tools.accept.on": True, "tools.accept.media": media}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.accept\.media"):
        app.start()
