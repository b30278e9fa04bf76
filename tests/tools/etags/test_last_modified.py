"""``tools.last_modified``: If-Modified-Since / If-Unmodified-Since, and the RFC's order."""

from __future__ import annotations

import datetime as dt

import pytest

from pegboard_etags import http_date

MODIFIED = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
AT = http_date(MODIFIED)
BEFORE = http_date(MODIFIED - dt.timedelta(seconds=1))
AFTER = http_date(MODIFIED + dt.timedelta(days=1))


def build(make_app, tools):
    app = make_app({"/": {f"tools.{name}.on": True for name in tools}})

    @app.route("/doc", methods=["GET", "HEAD", "PUT"])
    def doc(req, resp):
        resp.headers["Last-Modified"] = AT
        resp.headers["ETag"] = '"v1"'
        return "document"

    return app


@pytest.fixture
def client(make_app, make_client):
    return make_client(build(make_app, ["last_modified"]))


def test_http_date_format():
    assert AT == "Wed, 01 May 2024 12:00:00 GMT"
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.mark.parametrize(
    ("since", "status"),
    [
        (AT, 304),
        (AFTER, 304),
        (BEFORE, 200),
        ("Wednesday, 01-May-24 12:00:00 GMT", 304),  # rfc850 form
        ("Wed May  1 12:00:00 2024", 304),  # asctime form
        ("not a date", 200),  # an invalid date is ignored
        ("Wed, 01 May 2024 12:00:00 GMT, Thu, 02 May 2024 12:00:00 GMT", 200),
    ],
)
def test_if_modified_since(client, since, status):
    result = client.get("/doc", headers={"If-Modified-Since": since})
    assert result.status == status
    if status == 304:
        assert result.headers["Last-Modified"] == AT and result.body == b""


@pytest.mark.parametrize(
    ("since", "status"), [(AT, 200), (AFTER, 200), (BEFORE, 412), ("bad", 200)]
)
def test_if_unmodified_since(client, since, status):
    assert client.get("/doc", headers={"If-Unmodified-Since": since}).status == status


def test_if_modified_since_is_only_for_get_and_head(client):
    assert client.head("/doc", headers={"If-Modified-Since": AT}).status == 304
    assert client.put("/doc", headers={"If-Modified-Since": AT}).status == 200


def test_no_last_modified_means_no_304(make_app, make_client):
    app = make_app({"/": {"tools.last_modified.on": True}})
    app.route("/", lambda req, resp: "undated")
    client = make_client(app)
    assert client.get("/", headers={"If-Modified-Since": AFTER}).status == 200
    assert client.get("/", headers={"If-Unmodified-Since": BEFORE}).status == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # If-None-Match is present, so If-Modified-Since is ignored (RFC 9110 §13.2.2).
        ({"If-None-Match": '"v0"', "If-Modified-Since": AFTER}, 200),
        ({"If-None-Match": '"v1"', "If-Modified-Since": BEFORE}, 304),
        # If-Match is present, so If-Unmodified-Since is ignored.
        ({"If-Match": '"v1"', "If-Unmodified-Since": BEFORE}, 200),
        # If-Unmodified-Since (step 2) is decided before If-None-Match (step 3).
        ({"If-Unmodified-Since": BEFORE, "If-None-Match": '"v1"'}, 412),
        ({"If-Unmodified-Since": AT, "If-None-Match": '"v1"'}, 304),
    ],
)
@pytest.mark.parametrize("order", [["etags", "last_modified"], ["last_modified", "etags"]])
def test_precedence_with_etags(make_app, make_client, headers, status, order):
    client = make_client(build(make_app, order))
    assert client.get("/doc", headers=headers).status == status


def test_last_modified_alone_still_respects_a_present_if_none_match(client):
    """Without the etags tool, If-None-Match is not evaluated, but it still silences IMS."""
    result = client.get("/doc", headers={"If-None-Match": '"v1"', "If-Modified-Since": AT})
    assert result.status == 200
