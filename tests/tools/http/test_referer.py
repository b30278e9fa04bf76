"""The referer tool: pattern, accept, accept_missing, error, message."""

from __future__ import annotations

import pytest

import pegboard

SITE = r"^https://example\.com(/|$)"


def _client(make_app, make_client, **options):
    config = {"tools.referer.on": True, "tools.referer.pattern": SITE}
    config.update({f"tools.referer.{k}": v for k, v in options.items()})
    app = make_app({"/": config})
    app.route("/img", lambda req, resp: "picture")
    return make_client(app)


def test_matching_referer_passes(make_app, make_client):
    result = _client(make_app, make_client).get(
        "/img", headers={"Referer": "https://example.com/page"}
    )
    assert result.status == 200
    assert result.headers["Vary"] == "Referer"


@pytest.mark.parametrize(
    "referer",
    ["https://evil.test/", "https://example.com.evil.test/", "http://example.com/"],
)
def test_other_referers_are_403(make_app, make_client, referer):
    result = _client(make_app, make_client).get("/img", headers={"Referer": referer})
    assert result.status == 403
    assert "Forbidden Referer header." in result.text
    assert result.headers["Vary"] == "Referer"


def test_missing_referer_is_refused_unless_accepted(make_app, make_client):
    assert _client(make_app, make_client).get("/img").status == 403
    assert _client(make_app, make_client, accept_missing=True).get("/img").status == 200


def test_accept_false_refuses_matches(make_app, make_client):
    client = _client(make_app, make_client, accept=False)
    assert client.get("/img", headers={"Referer": "https://example.com/"}).status == 403
    assert client.get("/img", headers={"Referer": "https://other.test/"}).status == 200


def test_error_and_message(make_app, make_client):
    client = _client(make_app, make_client, error=404, message="No hotlinking here.")
    result = client.get("/img", headers={"Referer": "https://evil.test/"})
    assert result.status == 404
    assert "No hotlinking here." in result.text


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"pattern": "(unclosed"}, "pattern"),
        ({"error": 302}, "error"),
        ({"error": "403"}, "error"),
        ({"accept": "yes"}, "accept"),
    ],
)
def test_config_errors(make_app, options, key):
    config = {"tools.referer.on": True, "tools.referer.pattern": SITE}
    config.update({f"tools.referer.{k}": v for k, v in options.items()})
    app = make_app({"/": config})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.referer\.{key}"):
        app.start()


def test_pattern_is_required(make_app):
    app = make_app({"/": {"tools.referer.on": True}})
    with pytest.raises(pegboard.ConfigError, match=r"tools\.referer\.pattern"):
        app.start()
