"""Choosing the coding from Accept-Encoding: q-values, ``*``, ``identity``, never a 406."""

from __future__ import annotations

import pytest

TEXT = "negotiate me, negotiate me, negotiate me. " * 30


@pytest.fixture
def client(make_app, make_client):
    app = make_app({"/": {"tools.gzip.on": True}})
    app.route("/", lambda req, resp: TEXT)
    return make_client(app)


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        (None, None),  # no header: served as the client asked, uncompressed
        ("", None),  # an empty value means identity only
        ("gzip", "gzip"),
        ("GZIP", "gzip"),  # codings are case-insensitive
        ("x-gzip", "gzip"),  # RFC 9110 §8.4.1.3
        ("deflate", "deflate"),
        ("gzip;q=0.5, br;q=0.8", "br"),  # the client's q decides first
        ("gzip;q=0.8, br;q=0.8, zstd;q=0.8", "zstd"),  # then the server's order
        ("gzip, br;q=0", "gzip"),
        ("*", "zstd"),
        ("*;q=0.5, gzip;q=0.9", "gzip"),
        ("*, zstd;q=0, br;q=0", "gzip"),
        ("gzip;q=0", None),
        ("gzip;q=0, identity;q=0", None),  # nothing acceptable: plain, not a 406
        ("identity;q=0, gzip;q=0", None),
        ("compress, x-unknown", None),  # none offered
        ("gzip;q=0.5, identity;q=1", None),  # the client prefers identity
        ("gzip;q=0.5", "gzip"),  # identity unnamed: acceptable but least preferred
        ("gzip;q=abc, br", "br"),  # a malformed q drops that member only
        ("gzip;q=2", None),
        (" gzip ; q=0.3 ,, ", "gzip"),
    ],
)
def test_accept_encoding(client, decode, accept_encoding, expected):
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    result = client.get("/", headers=headers)
    assert result.status == 200
    assert result.headers.get("Content-Encoding") == expected
    assert decode(expected, result.body) == TEXT.encode()
    assert result.headers["Vary"] == "Accept-Encoding"


def test_only_br_asked_while_br_is_off_gives_the_plain_body(make_app, make_client):
    app = make_app({"/": {"tools.gzip.on": True, "tools.gzip.encodings": ["gzip"]}})
    app.route("/", lambda req, resp: TEXT)
    result = make_client(app).get("/", headers={"Accept-Encoding": "br"})
    assert result.status == 200
    assert "Content-Encoding" not in result.headers
    assert result.text == TEXT
