"""Response compression as a client sees it: codings, types, sizes, Vary, ETags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TEXT = "pegboard compresses text that repeats. " * 40  # ~1.5 KB
ON = {"tools.gzip.on": True}


def text_app(make_app, config=None, *, etag=None, ctype="text/plain; charset=utf-8", body=TEXT):
    app = make_app({"/": {**ON, **(config or {})}})

    @app.route("/")
    def index(req, resp):
        resp.headers["Content-Type"] = ctype
        if etag:
            resp.headers["ETag"] = etag
        return body

    return app


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_each_coding_decodes_to_the_body_with_a_correct_length(
    make_app, make_client, decode, coding
):
    client = make_client(text_app(make_app))
    result = client.get("/", headers={"Accept-Encoding": coding})
    assert result.status == 200
    assert result.headers["Content-Encoding"] == coding
    assert int(result.headers["Content-Length"]) == len(result.body) < len(TEXT)
    assert decode(coding, result.body) == TEXT.encode()
    assert result.headers["Vary"] == "Accept-Encoding"


def test_server_preference_breaks_ties_and_encodings_sets_it(make_app, make_client):
    browser = "gzip, deflate, br, zstd"
    default = make_client(text_app(make_app)).get("/", headers={"Accept-Encoding": browser})
    assert default.headers["Content-Encoding"] == "zstd"
    ordered = make_client(text_app(make_app, {"tools.gzip.encodings": ["br", "gzip"]}))
    assert (
        ordered.get("/", headers={"Accept-Encoding": browser}).headers["Content-Encoding"] == "br"
    )


def test_compress_level_trades_size_for_speed(make_app, make_client, decode):
    import random

    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    rng = random.Random(7)
    prose = " ".join(rng.choice(words) + str(rng.randrange(50)) for _ in range(3000))
    sizes = {}
    for level in (1, 9):
        app = text_app(make_app, {"tools.gzip.compress_level": level}, body=prose)
        result = make_client(app).get("/", headers={"Accept-Encoding": "gzip"})
        assert decode("gzip", result.body) == prose.encode()
        sizes[level] = len(result.body)
    assert sizes[9] < sizes[1]


@pytest.mark.parametrize(
    ("ctype", "compressed"),
    [
        ("text/html; charset=utf-8", True),
        ("text/css", True),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/atom+xml", True),
        ("image/svg+xml", True),
        ("image/png", False),
        ("application/octet-stream", False),
        ("application/zip", False),
    ],
)
def test_default_mime_types(make_app, make_client, ctype, compressed):
    result = make_client(text_app(make_app, ctype=ctype)).get(
        "/", headers={"Accept-Encoding": "gzip"}
    )
    assert ("Content-Encoding" in result.headers) is compressed
    # Vary only where the tool could have compressed.
    assert ("Vary" in result.headers) is compressed


def test_mime_type_patterns_replace_the_defaults(make_app, make_client):
    config = {"tools.gzip.mime_types": ["text/csv", "application/*+json"]}
    for ctype, compressed in [
        ("text/csv", True),
        ("application/vnd.api+json", True),
        ("text/html", False),
        ("application/json", False),  # not "+json": only the exact type would match
    ]:
        result = make_client(text_app(make_app, config, ctype=ctype)).get(
            "/", headers={"Accept-Encoding": "gzip"}
        )
        assert ("Content-Encoding" in result.headers) is compressed, ctype


def test_body_below_min_size_goes_out_plain_but_still_varies(make_app, make_client):
    client = make_client(text_app(make_app, {"tools.gzip.min_size": 2000}))
    result = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in result.headers
    assert result.body == TEXT.encode()
    assert result.headers["Vary"] == "Accept-Encoding"
    tiny = make_client(text_app(make_app, {"tools.gzip.min_size": 0}, body=""))
    empty = tiny.get("/", headers={"Accept-Encoding": "gzip"})
    assert empty.body == b"" and "Content-Encoding" not in empty.headers


def test_strong_etag_gets_a_suffix_per_coding_and_weak_stays(make_app, make_client):
    strong = make_client(text_app(make_app, etag='"v1"'))
    tags = {
        coding: strong.get("/", headers={"Accept-Encoding": coding}).headers["ETag"]
        for coding in ("gzip", "br", "zstd", "identity")
    }
    assert tags == {"gzip": '"v1-gzip"', "br": '"v1-br"', "zstd": '"v1-zstd"', "identity": '"v1"'}
    weak = make_client(text_app(make_app, etag='W/"v1"'))
    assert weak.get("/", headers={"Accept-Encoding": "gzip"}).headers["ETag"] == 'W/"v1"'


def test_vary_keeps_what_the_handler_said(make_app, make_client):
    app = make_app({"/": ON})

    @app.route("/")
    def index(req, resp):
        resp.headers["Vary"] = "Accept-Language"
        return TEXT

    result = make_client(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert result.headers["Vary"] == "Accept-Language, Accept-Encoding"


def test_never_compressed_206_no_transform_encoded_or_head(make_app, make_client, decode):
    app = make_app({"/": ON})

    @app.route("/partial")
    def partial(req, resp):
        resp.status = 206
        resp.headers["Content-Range"] = f"bytes 0-99/{len(TEXT)}"
        return TEXT[:100] * 5

    @app.route("/no-transform")
    def no_transform(req, resp):
        resp.headers["Cache-Control"] = "public, no-transform"
        return TEXT

    @app.route("/pre-encoded")
    def pre_encoded(req, resp):
        resp.headers["Content-Encoding"] = "gzip"
        import gzip

        return gzip.compress(TEXT.encode())

    @app.route("/")
    def index(req, resp):
        return TEXT

    client = make_client(app)
    ae = {"Accept-Encoding": "gzip"}
    partial_result = client.get("/partial", headers=ae)
    assert partial_result.status == 206 and "Content-Encoding" not in partial_result.headers
    no_transform_result = client.get("/no-transform", headers=ae)
    assert "Content-Encoding" not in no_transform_result.headers
    assert no_transform_result.body == TEXT.encode()
    pre = client.get("/pre-encoded", headers=ae)
    assert pre.headers["Content-Encoding"] == "gzip"  # once, not gzip twice
    assert decode("gzip", pre.body) == TEXT.encode()
    head = client.head("/", headers=ae)
    assert head.status == 200 and head.body == b""
    assert "Content-Encoding" not in head.headers
    assert head.headers["Content-Length"] == str(len(TEXT))
    assert head.headers["Vary"] == "Accept-Encoding"


def test_compressed_response_drops_accept_ranges(make_app, make_client):
    app = make_app({"/": ON})

    @app.route("/")
    def index(req, resp):
        resp.headers["Accept-Ranges"] = "bytes"
        return TEXT

    client = make_client(app)
    assert "Accept-Ranges" not in client.get("/", headers={"Accept-Encoding": "gzip"}).headers
    assert client.get("/").headers["Accept-Ranges"] == "bytes"


def test_error_pages_are_compressed_and_vary(make_app, make_client, decode):
    app = make_app({"/": {**ON, "tools.gzip.min_size": 0}})

    @app.route("/boom")
    def boom(req, resp):
        raise RuntimeError("kaboom")

    client = make_client(app)
    missing = client.get("/nowhere", headers={"Accept-Encoding": "gzip"})
    assert missing.status == 404 and missing.headers["Content-Encoding"] == "gzip"
    assert b"Not Found" in decode("gzip", missing.body)
    crashed = client.get("/boom", headers={"Accept-Encoding": "gzip"})
    assert crashed.status == 500 and crashed.headers["Vary"] == "Accept-Encoding"
    assert b"kaboom" not in decode(crashed.headers.get("Content-Encoding"), crashed.body)


def test_streamed_body_compresses_chunk_by_chunk(make_app, make_client, decode):
    app = make_app({"/": ON})
    closed = []

    @app.route("/")
    def index(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        resp.headers["Content-Length"] = "999"  # the handler's length no longer holds

        def chunks() -> Iterator[bytes]:
            try:
                for i in range(5):
                    yield f"line {i}\n".encode()
            finally:
                closed.append(True)

        return chunks()

    result = make_client(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert result.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in result.headers
    assert decode("gzip", result.body) == b"".join(f"line {i}\n".encode() for i in range(5))
    assert closed == [True]


def test_stream_flushes_every_chunk(make_app):
    """Each chunk handed to the server decodes on its own: nothing waits for the end."""
    import zlib

    app = make_app({"/": ON})

    @app.route("/")
    def index(req, resp):
        resp.headers["Content-Type"] = "text/event-stream"
        return (f"data: {i}\n\n".encode() for i in range(3))

    sent = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "wsgi.url_scheme": "http",
        "wsgi.input": __import__("io").BytesIO(),
    }
    body = app(environ, lambda status, headers, exc=None: sent.append(dict(headers)))
    inflater = zlib.decompressobj(31)
    pieces = [inflater.decompress(chunk) for chunk in body]
    getattr(body, "close", lambda: None)()
    assert sent[0]["Content-Encoding"] == "gzip"
    assert pieces[:3] == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert inflater.eof


def test_stream_with_small_declared_length_is_left_alone(make_app, make_client):
    app = make_app({"/": ON})

    @app.route("/")
    def index(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        resp.headers["Content-Length"] = "5"
        return iter([b"hello"])

    result = make_client(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in result.headers and result.body == b"hello"
