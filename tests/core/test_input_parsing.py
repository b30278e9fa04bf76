"""Query strings, urlencoded and multipart forms, charsets, header values: 4xx for bad input."""

from __future__ import annotations

import logging
from urllib.parse import quote_from_bytes

import pytest
import requests

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def app(make_app):
    app = make_app()

    @app.route("/echo")
    def echo(req, resp):
        return repr(sorted(req.params.items()))

    return app


def _form(client, body: bytes, ctype: str = FORM):
    return client.post("/echo", body=body, headers={"Content-Type": ctype})


def test_a_query_string_that_is_not_utf8_is_a_400(app, make_client):
    client = make_client(app)
    assert client.get("/echo?a=%C3%A9").text == "[('a', 'é')]"
    bad = client.get("/echo?a=%FF")
    assert bad.status == 400 and "query string is not valid UTF-8" in bad.text


def test_raw_non_utf8_bytes_in_the_query_string_are_a_400(app, make_client):
    env = {"QUERY_STRING": b"a=\xff".decode("latin-1")}
    assert make_client(app).get("/echo", environ=env).status == 400
    env = {"QUERY_STRING": "a=é".encode().decode("latin-1")}
    assert make_client(app).get("/echo", environ=env).text == "[('a', 'é')]"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a=1&b=2", "[('a', '1'), ('b', '2')]"),
        ("a=1&a=2", "[('a', ['1', '2'])]"),
        ("a+b=c+d&&e", "[('a b', 'c d'), ('e', '')]"),
        ("x=%26%3D", "[('x', '&=')]"),
        ("=v&k=", "[('', 'v'), ('k', '')]"),
    ],
)
def test_query_strings_parse_as_browsers_send_them(app, make_client, query, expected):
    assert make_client(app).get(f"/echo?{query}").text == expected


def test_an_urlencoded_body_in_utf16_is_split_before_it_is_decoded(app, make_client):
    def enc(text: str) -> str:
        return quote_from_bytes(text.encode("utf-16"))

    # a UTF-16 form percent-encodes names and values; '&' and '=' stay single bytes
    body = f"{enc('name')}={enc('é=&x')}&{enc('city')}={enc('Zürich')}".encode("ascii")
    result = _form(make_client(app), body, f"{FORM}; charset=utf-16")
    assert result.status == 200
    assert result.text == "[('city', 'Zürich'), ('name', 'é=&x')]"


def test_an_urlencoded_body_in_latin1(app, make_client):
    body = b"name=" + quote_from_bytes("café".encode("latin-1")).encode()
    assert _form(make_client(app), body, f"{FORM}; charset=latin-1").text == "[('name', 'café')]"


def test_bytes_not_valid_in_the_declared_charset_are_a_400(app, make_client):
    result = _form(make_client(app), b"name=%FF%FE")
    assert result.status == 400 and "not valid UTF-8" in result.text


@pytest.mark.parametrize("charset", ["rot13", "hex", "base64", "zlib", "utf-7", "nonsense"])
@pytest.mark.parametrize("kind", [FORM, "multipart/form-data; boundary=xyz"])
def test_a_charset_that_is_not_a_text_encoding_is_a_415(app, make_client, caplog, charset, kind):
    body = (
        b"a=1"
        if kind == FORM
        else b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n'
    )
    with caplog.at_level(logging.ERROR):
        result = _form(make_client(app), body, f"{kind}; charset={charset}")
    assert result.status == 415
    assert "is not a text encoding" in result.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no traceback logged"


def test_a_multipart_part_in_a_charset_that_is_no_encoding_is_a_400(app, make_client):
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n'
        b"Content-Type: text/plain; charset=rot13\r\n\r\nabc\r\n--xyz--\r\n"
    )
    result = _form(make_client(app), body, "multipart/form-data; boundary=xyz")
    assert result.status in (200, 400)
    assert result.status != 500


def test_too_many_fields_is_a_413(app, make_client):
    body = "&".join(f"f{n}=1" for n in range(1001)).encode()
    assert _form(make_client(app), body).status == 413


def test_bytes_header_values_go_out_as_latin1_text(make_app, make_client):
    app = make_app()

    @app.route("/")
    def handler(req, resp):
        resp.headers["X-Raw"] = b"caf\xe9"
        resp.headers.add("X-More", bytearray(b"ok"))
        return ""

    result = make_client(app).get("/")
    assert result.headers["X-Raw"] == "café"
    assert result.headers["X-More"] == "ok"


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", b"a\nb", "a\x00b"])
def test_header_values_with_line_breaks_or_nul_are_refused(make_app, make_client, value):
    app = make_app()

    @app.route("/")
    def handler(req, resp):
        resp.headers["X-Bad"] = value
        return "never"

    result = make_client(app).get("/")
    assert result.status == 500
    assert "X-Bad" not in result.headers


def test_over_a_real_server(app, live_server):
    server = live_server(app)
    ok = requests.post(server.url + "/echo", data={"a": "é"}, timeout=5)
    assert ok.text == "[('a', 'é')]"
    bad = requests.get(server.url + "/echo?a=%FF", timeout=5)
    assert bad.status_code == 400
    rot = requests.post(
        server.url + "/echo",
        data=b"a=1",
        headers={"Content-Type": f"{FORM}; charset=rot13"},
        timeout=5,
    )
    assert rot.status_code == 415
