"""Hostile JSON bodies get a 4xx, never a 500: odd charsets, huge numbers, broken bytes.

Each case runs with the default decoder (orjson when installed) and with the
standard library's, chosen through a processor that calls
``parse_json_body(req, decoder=decode_stdlib)``.
"""

from __future__ import annotations

import json
import sys

import pytest

from pegboard_json import DecodeError, decode, decode_stdlib, parse_json_body

LIMIT = sys.get_int_max_str_digits()
NOT_TEXT_ENCODINGS = [
    "rot13",
    "rot_13",
    "hex",
    "hex_codec",
    "base64",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "utf-7",
    "idna",
    "punycode",
    "unicode_escape",
    "raw_unicode_escape",
    "undefined",
    '"zlib"',
]


def _stdlib(req):
    return parse_json_body(req, decoder=decode_stdlib)


@pytest.fixture(params=["default", "stdlib"])
def decoder_name(request):
    return request.param


@pytest.fixture
def client(decoder_name, make_app, make_client):
    config = {"tools.json_in.on": True}
    if decoder_name == "stdlib":
        config["tools.json_in.processor"] = _stdlib
    app = make_app({"/": config})

    @app.route("/echo", methods=["POST"])
    def echo(req, resp):
        resp.headers["Content-Type"] = "application/json"
        return json.dumps({"json": req.json})

    return make_client(app)


def _post(client, body, content_type="application/json"):
    return client.post("/echo", body=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize("charset", NOT_TEXT_ENCODINGS)
@pytest.mark.parametrize("body", [b'{"a": 1}', b"7b2261223a20317d", b"eyJhIjogMX0=", b"\x00\xff"])
def test_a_charset_that_is_not_a_text_encoding_is_415(client, charset, body):
    result = _post(client, body, f"application/json; charset={charset}")
    assert result.status == 415
    assert "charset" in result.text and "not supported" in result.text


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "utf-32", "cp1252", "latin-1"])
def test_real_charsets_still_decode(client, charset):
    body = json.dumps({"name": "Zoë"}, ensure_ascii=False).encode(charset)
    result = _post(client, body, f"application/json; charset={charset}")
    assert result.status == 200, result.text
    assert result.json() == {"json": {"name": "Zoë"}}


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "shift_jis", "iso2022_jp", "cp1252"])
def test_bytes_invalid_in_a_real_charset_are_400(client, charset):
    result = _post(client, b'{"a": "\xff\xfe\xfd', f"application/json; charset={charset}")
    assert result.status == 400


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset", "application/json; charset=", 'application/json; charset="utf-8'],
)
def test_a_malformed_content_type_is_400(client, content_type):
    result = _post(client, b'{"a": 1}', content_type)
    assert result.status == 400
    assert "Content-Type" in result.text


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"9" * (LIMIT + 1), "line 1, column 1"),
        (
            b'[1,\n "' + b"2" * (LIMIT + 5) + b'",\n -' + b"3" * (LIMIT + 5) + b"]",
            "line 3, column 2",
        ),
        (b'{"a": ' + b"1" * 100_000 + b"}", "line 1, column 7"),
    ],
)
def test_an_integer_longer_than_the_int_string_limit_is_400(client, decoder_name, body, where):
    result = _post(client, body)
    assert result.status == 400
    if decoder_name == "stdlib":
        assert where in result.text  # orjson words the same case its own way
        assert f"more than {LIMIT} digits" in result.text


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"NaN", "line 1, column 1"),
        (b'{"a": [1,\n  -Infinity]}', "line 2, column 3"),
        (b'{"Infinity": Infinity}', "line 1, column 14"),
        (b"[1e400]", "line 1, column 2"),
        (b"1" + b"0" * 400 + b".5", "line 1, column 1"),
    ],
)
def test_nan_infinity_and_overflowing_numbers_are_400_with_both_decoders(
    client, decoder_name, body, where
):
    result = _post(client, body)
    assert result.status == 400
    if decoder_name == "stdlib":
        assert where in result.text


def test_a_long_string_of_digits_is_fine(client):
    digits = "1" * (LIMIT + 100)
    assert _post(client, json.dumps({"d": digits}).encode()).json() == {"json": {"d": digits}}


@pytest.mark.parametrize(
    "body", [b'"\xff"', b"\xff\xfe1", b"\x00\x00\x00", b"[" * 50_000, b'{"a":' * 50_000]
)
def test_broken_bytes_and_deep_nesting_are_400(client, body):
    assert _post(client, body).status == 400


@pytest.mark.parametrize("decoder", [decode, decode_stdlib], ids=["default", "stdlib"])
@pytest.mark.parametrize(
    "text",
    [
        b"9" * (LIMIT + 1),
        b'"\xff"',
        b"\xfe\xff\x00",
        "[" * 100_000,
        b"",
        b"nul",
        "\ud800",
        b"NaN",
        b"[-Infinity]",
        b"1e999",
    ],
)
def test_decoders_raise_only_decode_error(decoder, text):
    with pytest.raises(DecodeError) as caught:
        decoder(text)
    assert caught.value.line >= 1 and caught.value.column >= 1


def test_over_a_real_socket(make_app, live_server):
    import httpx

    app = make_app({"/": {"tools.json_in.on": True, "tools.json_in.processor": _stdlib}})
    app.route("/echo", lambda req, resp: "ok", methods=["POST"])
    server = live_server(app)
    with httpx.Client(base_url=server.url, timeout=5) as http:
        rot13 = http.post(
            "/echo", content=b"{}", headers={"Content-Type": "application/json; charset=rot13"}
        )
        huge = http.post(
            "/echo", content=b"9" * (LIMIT + 1), headers={"Content-Type": "application/json"}
        )
        assert (rot13.status_code, huge.status_code) == (415, 400)
