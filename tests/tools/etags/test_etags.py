"""``tools.etags``: body-hash tags, If-None-Match (304) and If-Match (412) per RFC 9110."""

from __future__ import annotations

import pytest

BODY = "the representation"


@pytest.fixture
def app(make_app):
    app = make_app({"/": {"tools.etags.on": True, "tools.etags.autotags": True}})
    app.route("/", lambda req, resp: BODY)

    @app.route("/tagged")
    def tagged(req, resp):
        resp.headers["ETag"] = '"v2"'
        resp.headers["Cache-Control"] = "max-age=60"
        return BODY

    @app.route("/weak")
    def weak(req, resp):
        resp.headers["ETag"] = 'W/"v2"'
        return BODY

    @app.route("/created", methods=["POST", "PUT", "DELETE"])
    def created(req, resp):
        resp.status = 201
        return "made"

    @app.route("/missing")
    def missing(req, resp):
        resp.status = 404
        resp.headers["ETag"] = '"gone"'
        return "no such thing"

    app.route("/stream", lambda req, resp: iter([b"a", b"b"]))
    return app


@pytest.fixture
def client(app, make_client):
    return make_client(app)


def test_autotag_is_strong_and_stable(client):
    first, second = client.get("/"), client.get("/")
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    assert second.headers["ETag"] == tag


def test_autotags_are_off_by_default(make_app, make_client):
    app = make_app({"/": {"tools.etags.on": True}})
    app.route("/", lambda req, resp: BODY)
    assert "ETag" not in make_client(app).get("/").headers


def test_autotag_differs_with_the_body(make_app, make_client):
    app = make_app({"/": {"tools.etags.on": True, "tools.etags.autotags": True}})
    app.route("/{word}", lambda req, resp, word: word)
    client = make_client(app)
    assert client.get("/a").headers["ETag"] != client.get("/b").headers["ETag"]


def test_if_none_match_gives_304_with_the_same_tag_and_no_body(client):
    tag = client.get("/").headers["ETag"]
    result = client.get("/", headers={"If-None-Match": tag})
    assert result.status == 304
    assert result.body == b""
    assert result.headers["ETag"] == tag
    assert "Content-Length" not in result.headers
    assert "Content-Type" not in result.headers


def test_304_keeps_caching_headers(client):
    result = client.get("/tagged", headers={"If-None-Match": '"v2"'})
    assert result.status == 304
    assert result.headers["Cache-Control"] == "max-age=60"


def test_head_is_validated_like_get(client):
    tag = client.get("/").headers["ETag"]
    assert client.head("/").headers["ETag"] == tag
    assert client.head("/", headers={"If-None-Match": tag}).status == 304


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('"v2"', 304),
        ('"v1", "v2"', 304),
        ('"v1","v2","v3"', 304),
        ('W/"v2"', 304),  # weak comparison
        ("*", 304),
        ('"v1"', 200),
        ('"V2"', 200),  # tags are case-sensitive
        ("v2", 200),  # unquoted: not an entity-tag
        ('garbage, "v2"', 304),  # a malformed member does not hide the good one
        ('"a,b", "v2"', 304),  # a comma inside a tag is part of it
    ],
)
def test_if_none_match_lists(client, if_none_match, status):
    assert client.get("/tagged", headers={"If-None-Match": if_none_match}).status == status


def test_weak_response_tag_matches_if_none_match(client):
    assert client.get("/weak", headers={"If-None-Match": '"v2"'}).status == 304


@pytest.mark.parametrize(
    ("path", "if_match", "status"),
    [
        ("/tagged", '"v2"', 200),
        ("/tagged", '"v1", "v2"', 200),
        ("/tagged", "*", 200),
        ("/tagged", '"v1"', 412),
        ("/tagged", 'W/"v2"', 412),  # strong comparison: a weak tag never matches
        ("/weak", '"v2"', 412),
        ("/weak", "*", 200),
    ],
)
def test_if_match(client, path, if_match, status):
    assert client.get(path, headers={"If-Match": if_match}).status == status


def test_if_match_failure_wins_over_if_none_match(client):
    result = client.get("/tagged", headers={"If-Match": '"v1"', "If-None-Match": '"v2"'})
    assert result.status == 412


def test_412_is_a_clear_error_without_the_tag(client):
    result = client.get("/tagged", headers={"If-Match": '"v1"'})
    assert result.status == 412
    assert b"precondition" in result.body.lower()
    assert "ETag" not in result.headers


def test_non_2xx_answers_ignore_conditions(client):
    missing = client.get("/missing", headers={"If-None-Match": '"gone"'})
    assert missing.status == 404
    assert client.get("/nowhere", headers={"If-Match": '"x"'}).status == 404


def test_writes_are_not_judged_after_the_handler_ran(client):
    """A finished POST/PUT is not turned into a 412: declare a validator for that."""
    for method in ("post", "put", "delete"):
        result = getattr(client, method)("/created", headers={"If-Match": '"old"'})
        assert result.status == 201


def test_streams_are_not_buffered_for_a_tag(client):
    result = client.get("/stream")
    assert result.body == b"ab"
    assert "ETag" not in result.headers


def test_an_autotag_is_the_body_tag_of_the_body_sent(app, make_client):
    from pegboard_etags import body_tag

    result = make_client(app).get("/")
    assert result.headers["ETag"] == body_tag(BODY.encode())
