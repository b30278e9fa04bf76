"""encode (Accept-Charset negotiation, transcoding) and decode (form charsets)."""

from __future__ import annotations

import pytest

import pegboard

TEXT = "Grüße, café"


def _encode_app(make_app, **options):
    config = {"tools.encode.on": True, **{f"tools.encode.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    app.route("/text", lambda req, resp: TEXT)

    @app.route("/plain-bytes")
    def plain_bytes(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        return TEXT.encode("utf-8")

    @app.route("/png")
    def png(req, resp):
        resp.headers["Content-Type"] = "image/png"
        return b"\x89PNG\xff\xfe"

    @app.route("/xml")
    def xml(req, resp):
        resp.headers["Content-Type"] = "application/xml; charset=utf-8"
        return TEXT.encode("utf-8")

    @app.route("/snow")
    def snow(req, resp):
        return "snow ☃"

    @app.route("/stream")
    def stream(req, resp):
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        data = TEXT.encode("utf-8")
        return iter([data[:3], data[3:9], data[9:]])  # splits inside a two-byte character

    @app.route("/gone")
    def gone(req, resp):
        raise pegboard.HTTPError(410, "Gone for good ☃")

    return app


def test_no_accept_charset_keeps_utf8(make_app, make_client):
    result = make_client(_encode_app(make_app)).get("/text")
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert result.body == TEXT.encode("utf-8")
    assert result.headers["Vary"] == "Accept-Charset"


def test_the_clients_charset_is_used(make_app, make_client):
    result = make_client(_encode_app(make_app)).get(
        "/text", headers={"Accept-Charset": "iso-8859-1, utf-8;q=0.5"}
    )
    assert result.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert result.body == TEXT.encode("latin-1")
    assert result.headers["Content-Length"] == str(len(TEXT.encode("latin-1")))


def test_star_means_the_default_encoding(make_app, make_client):
    client = make_client(_encode_app(make_app, default_encoding="utf-16"))
    result = client.get("/text", headers={"Accept-Charset": "*"})
    assert result.headers["Content-Type"] == "text/html; charset=utf-16"
    assert result.body.decode("utf-16") == TEXT


def test_unencodable_text_tries_the_next_charset(make_app, make_client):
    result = make_client(_encode_app(make_app)).get(
        "/snow", headers={"Accept-Charset": "iso-8859-1, utf-8;q=0.1"}
    )
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert result.text == "snow ☃"


def test_nothing_acceptable_is_406(make_app, make_client):
    result = make_client(_encode_app(make_app)).get("/snow", headers={"Accept-Charset": "ascii"})
    assert result.status == 406
    assert "ascii" in result.text


def test_errors_option_replaces_instead(make_app, make_client):
    client = make_client(_encode_app(make_app, errors="xmlcharrefreplace"))
    result = client.get("/snow", headers={"Accept-Charset": "ascii"})
    assert result.status == 200
    assert result.body == b"snow &#9731;"


def test_forced_encoding(make_app, make_client):
    client = make_client(_encode_app(make_app, encoding="iso-8859-1"))
    result = client.get("/text")
    assert result.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert result.body == TEXT.encode("latin-1")
    assert client.get("/text", headers={"Accept-Charset": "utf-8"}).status == 406
    assert client.get("/text", headers={"Accept-Charset": "latin1"}).status == 200


def test_rfc9110_no_implicit_latin1(make_app, make_client):
    # RFC 2616 gave ISO-8859-1 an implicit q=1; RFC 9110 (and this tool) does not.
    result = make_client(_encode_app(make_app)).get("/text", headers={"Accept-Charset": "utf-16"})
    assert result.headers["Content-Type"] == "text/html; charset=utf-16"


@pytest.mark.parametrize("charset", ["utf-7", "rot13", "unicode_escape", "no-such-charset"])
def test_charsets_that_are_no_charsets_are_never_produced(make_app, make_client, charset):
    result = make_client(_encode_app(make_app)).get(
        "/text", headers={"Accept-Charset": f"{charset}, utf-8;q=0.1"}
    )
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"


def test_bytes_without_charset_get_one_declared(make_app, make_client):
    result = make_client(_encode_app(make_app)).get("/plain-bytes")
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert result.body == TEXT.encode("utf-8")


def test_add_charset_false_leaves_undeclared_bodies_alone(make_app, make_client):
    client = make_client(_encode_app(make_app, add_charset=False))
    result = client.get("/plain-bytes", headers={"Accept-Charset": "iso-8859-1"})
    assert result.headers["Content-Type"] == "text/plain"
    assert result.body == TEXT.encode("utf-8")


def test_binary_bodies_are_never_touched(make_app, make_client):
    for text_only in (True, False):
        client = make_client(_encode_app(make_app, text_only=text_only))
        result = client.get("/png", headers={"Accept-Charset": "iso-8859-1"})
        assert result.body == b"\x89PNG\xff\xfe"
        assert result.headers["Content-Type"] == "image/png"


def test_text_only_false_transcodes_other_types_with_a_charset(make_app, make_client):
    headers = {"Accept-Charset": "iso-8859-1"}
    kept = make_client(_encode_app(make_app)).get("/xml", headers=headers)
    assert kept.body == TEXT.encode("utf-8")
    changed = make_client(_encode_app(make_app, text_only=False)).get("/xml", headers=headers)
    assert changed.headers["Content-Type"] == "application/xml; charset=iso-8859-1"
    assert changed.body == TEXT.encode("latin-1")


def test_a_stream_is_transcoded_chunk_by_chunk(make_app, make_client):
    result = make_client(_encode_app(make_app)).get(
        "/stream", headers={"Accept-Charset": "iso-8859-1"}
    )
    assert result.headers["Content-Type"] == "text/plain; charset=iso-8859-1"
    assert "Content-Length" not in result.headers
    assert result.body == TEXT.encode("latin-1")


def test_a_stream_prefers_a_unicode_charset_the_client_accepts(make_app, make_client):
    result = make_client(_encode_app(make_app)).get(
        "/stream", headers={"Accept-Charset": "iso-8859-1, utf-16;q=0.2"}
    )
    assert result.headers["Content-Type"] == "text/plain; charset=utf-16"
    assert result.body.decode("utf-16") == TEXT


def test_error_pages_are_never_turned_into_406(make_app, make_client):
    result = make_client(_encode_app(make_app)).get("/gone", headers={"Accept-Charset": "ascii"})
    assert result.status == 410


@pytest.mark.parametrize("header", ["utf-8;q=x", "ut f-8", "utf-8;q=5"])
def test_malformed_accept_charset_is_400(make_app, make_client, header):
    result = make_client(_encode_app(make_app)).get("/text", headers={"Accept-Charset": header})
    assert result.status == 400
    assert "Accept-Charset" in result.text


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"encoding": "utf-7"}, "encoding"),
        ({"default_encoding": "klingon"}, "default_encoding"),
        ({"errors": "shrug"}, "errors"),
        ({"text_only": "no"}, "text_only"),
    ],
)
def test_encode_config_errors(make_app, options, key):
    app = _encode_app(make_app, **options)
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.encode\.{key}"):
        app.start()


# -- decode ----------------------------------------------------------------------------------


def _decode_app(make_app, **options):
    config = {"tools.decode.on": True, **{f"tools.decode.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})
    app.route("/form", lambda req, resp: f"name={req.params.get('name')}")
    app.route("/raw", lambda req, resp: req.body.bytes)
    return app


FORM = "application/x-www-form-urlencoded"


def test_utf8_form_by_default(make_app, make_client):
    result = make_client(_decode_app(make_app)).post("/form", data={"name": "Jürgen"})
    assert result.text == "name=Jürgen"


def test_declared_charset_is_used(make_app, make_client):
    result = make_client(_decode_app(make_app)).post(
        "/form", body=b"name=J%FCrgen", headers={"Content-Type": f"{FORM}; charset=iso-8859-1"}
    )
    assert result.text == "name=Jürgen"


def test_default_encoding_list_is_tried_in_order(make_app, make_client):
    client = make_client(_decode_app(make_app, default_encoding=["utf-8", "cp1252"]))
    latin = client.post("/form", body=b"name=J%FCrgen", headers={"Content-Type": FORM})
    assert latin.text == "name=Jürgen"
    utf8 = client.post("/form", body=b"name=J%C3%BCrgen", headers={"Content-Type": FORM})
    assert utf8.text == "name=Jürgen"


def test_forced_encoding_overrides_the_declared_one(make_app, make_client):
    client = make_client(_decode_app(make_app, encoding="iso-8859-1"))
    result = client.post(
        "/form", body=b"name=J%FCrgen", headers={"Content-Type": f"{FORM}; charset=utf-8"}
    )
    assert result.text == "name=Jürgen"


def test_undecodable_form_is_400_not_silently_replaced(make_app, make_client):
    result = make_client(_decode_app(make_app)).post(
        "/form", body=b"name=J%FCrgen", headers={"Content-Type": FORM}
    )
    assert result.status == 400
    assert "utf-8" in result.text


def test_multipart_fields_in_a_declared_charset(make_app, make_client):
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'.encode()
        + "Jürgen".encode("iso-8859-1")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    client = make_client(_decode_app(make_app, default_encoding=["utf-8", "iso-8859-1"]))
    result = client.post(
        "/form", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert result.text == "name=Jürgen"
    strict = make_client(_decode_app(make_app)).post(
        "/form", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert strict.status == 400


def test_other_bodies_are_left_alone(make_app, make_client):
    result = make_client(_decode_app(make_app)).post(
        "/raw", body=b"\xff\xfe", headers={"Content-Type": "application/octet-stream"}
    )
    assert result.body == b"\xff\xfe"


def test_decode_bad_charset_is_a_config_error(make_app):
    app = _decode_app(make_app, default_encoding=["utf-8", "nope"])
    with pytest.raises(pegboard.ConfigError, match=r"tools\.decode\.default_encoding"):
        app.start()


# -- hardening: a forced charset and bytes bodies; charsets that are no text encodings -------


@pytest.mark.parametrize("accept_charset", ["utf-16", "ascii, utf-8;q=0.5"])
def test_a_forced_charset_honours_accept_charset_for_a_bytes_body(
    make_app, make_client, accept_charset
):
    app = make_app({"/": {"tools.encode.on": True, "tools.encode.encoding": "iso-8859-1"}})
    app.route("/raw", lambda req, resp: TEXT.encode("utf-8"))  # bytes, no Content-Type
    client = make_client(app)
    refused = client.get("/raw", headers={"Accept-Charset": accept_charset})
    assert refused.status == 406
    assert "iso-8859-1" in refused.text
    accepted = client.get("/raw", headers={"Accept-Charset": "iso-8859-1"})
    assert accepted.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert accepted.body == TEXT.encode("latin-1")
    plain = client.get("/raw")
    assert (plain.status, plain.body) == (200, TEXT.encode("latin-1"))
    assert plain.headers["Vary"] == "Accept-Charset"


def test_a_bytes_body_without_a_type_is_negotiated_like_text(make_app, make_client):
    app = make_app({"/": {"tools.encode.on": True}})
    app.route("/raw", lambda req, resp: TEXT.encode("utf-8"))
    result = make_client(app).get("/raw", headers={"Accept-Charset": "iso-8859-1"})
    assert result.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert result.body == TEXT.encode("latin-1")


def test_a_body_invalid_in_its_own_charset_goes_out_as_it_is_when_acceptable(make_app, make_client):
    app = make_app({"/": {"tools.encode.on": True}})
    app.route("/raw", lambda req, resp: b"\xff\xfe not utf-8")
    client = make_client(app)
    kept = client.get("/raw", headers={"Accept-Charset": "iso-8859-1, utf-8;q=0.1"})
    assert (kept.status, kept.body) == (200, b"\xff\xfe not utf-8")
    assert kept.headers["Content-Type"] == "text/html; charset=utf-8"
    assert client.get("/raw", headers={"Accept-Charset": "iso-8859-1"}).status == 406


@pytest.mark.parametrize(
    "charset", ["rot13", "hex", "base64", "zlib", "bz2", "uu", "utf-7", "unicode_escape", "klingon"]
)
@pytest.mark.parametrize(
    "options", [{}, {"default_encoding": ["utf-8", "cp1252"]}], ids=["default", "list"]
)
def test_a_declared_charset_that_is_no_text_encoding_is_415(
    make_app, make_client, charset, options
):
    client = make_client(_decode_app(make_app, **options))
    result = client.post(
        "/form", body=b"name=J%C3%BCrgen", headers={"Content-Type": f"{FORM}; charset={charset}"}
    )
    assert result.status == 415
    assert "not a text encoding" in result.text


def test_a_forced_encoding_overrides_a_bogus_declared_charset(make_app, make_client):
    client = make_client(_decode_app(make_app, encoding=["utf-8", "cp1252"]))
    result = client.post(
        "/form", body=b"name=J%FCrgen", headers={"Content-Type": f"{FORM}; charset=rot13"}
    )
    assert result.text == "name=Jürgen"


@pytest.mark.parametrize("charset", ["rot13", "hex", "zlib", "x\x00y"])
def test_a_multipart_part_in_a_non_text_charset_is_400(make_app, make_client, charset):
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n'
        f"Content-Type: text/plain; charset={charset}\r\n\r\nvalue\r\n--{boundary}--\r\n"
    ).encode("latin-1")
    client = make_client(_decode_app(make_app, default_encoding=["utf-8", "cp1252"]))
    result = client.post(
        "/form", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert result.status == 400


@pytest.mark.parametrize("charset", ['"utf-8', "x\x00", "utf 8"])
def test_a_malformed_form_content_type_is_400(make_app, make_client, charset):
    result = make_client(_decode_app(make_app)).post(
        "/form", body=b"name=x", headers={"Content-Type": f"{FORM}; charset={charset}"}
    )
    assert result.status == 400
    assert "Content-Type" in result.text


def test_an_urlencoded_body_is_split_as_bytes_before_it_is_decoded(make_app, make_client):
    # In UTF-16 "=" and "&" are two bytes each: decoding the whole body first
    # would keep them, splitting the bytes first (WHATWG) does not find them.
    body = "name=value".encode("utf-16-le")
    client = make_client(_decode_app(make_app, default_encoding=["utf-16-le"]))
    result = client.post("/form", body=body, headers={"Content-Type": FORM})
    assert result.status == 400
