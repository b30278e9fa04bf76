"""Request bodies sent with Content-Encoding: gzip, inflated within a size limit."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

PAYLOAD = json.dumps({"items": list(range(300))}).encode()


@pytest.fixture
def echo(make_app, make_client):
    def build(**options):
        config = {"tools.gzip.on": True, "tools.gzip.decompress_requests": True}
        config.update({f"tools.gzip.{k}": v for k, v in options.items()})
        app = make_app({"/": config})

        @app.route("/echo", methods=["POST"])
        def echo_body(req, resp):
            resp.headers["Content-Type"] = "application/octet-stream"
            resp.headers["X-Length"] = str(req.content_length)
            resp.headers["X-Encoding"] = req.headers.get("Content-Encoding", "-")
            return req.body.bytes

        return make_client(app)

    return build


def test_gzip_body_reaches_the_handler_inflated(echo):
    result = echo().post("/echo", body=gzip.compress(PAYLOAD), headers={"Content-Encoding": "gzip"})
    assert result.status == 200
    assert result.body == PAYLOAD
    assert result.headers["X-Length"] == str(len(PAYLOAD))
    assert result.headers["X-Encoding"] == "-"  # the handler sees a plain body


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("deflate", zlib.compress(PAYLOAD)),
        ("x-gzip", gzip.compress(PAYLOAD)),
        ("gzip", gzip.compress(PAYLOAD[:500]) + gzip.compress(PAYLOAD[500:])),  # two members
        ("identity", PAYLOAD),
    ],
)
def test_other_accepted_forms(echo, encoding, data):
    result = echo().post("/echo", body=data, headers={"Content-Encoding": encoding})
    assert result.status == 200
    assert result.body == PAYLOAD


def test_chunked_gzip_body(echo):
    data = gzip.compress(PAYLOAD)
    chunks = [data[i : i + 100] for i in range(0, len(data), 100)]
    result = echo().post("/echo", body=iter(chunks), headers={"Content-Encoding": "gzip"})
    assert result.status == 200 and result.body == PAYLOAD


def test_zip_bomb_is_refused_with_413(echo):
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros in ~20 KB
    assert len(bomb) < 64 * 1024
    result = echo(max_decompressed_size=1024 * 1024).post(
        "/echo", body=bomb, headers={"Content-Encoding": "gzip"}
    )
    assert result.status == 413
    assert b"larger than 1048576" in result.body


def test_default_limit_is_the_request_body_limit(make_app, make_client):
    app = make_app(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.gzip.decompress_requests": True,
                "request.max_body_size": 4096,
            }
        }
    )
    app.route("/echo", lambda req, resp: req.body.bytes, methods=["POST"])
    client = make_client(app)
    small = client.post(
        "/echo", body=gzip.compress(b"a" * 4000), headers={"Content-Encoding": "gzip"}
    )
    big = client.post(
        "/echo", body=gzip.compress(b"a" * 5000), headers={"Content-Encoding": "gzip"}
    )
    assert small.status == 200 and big.status == 413


@pytest.mark.parametrize(
    "data",
    [b"this is not gzip at all", gzip.compress(PAYLOAD)[:-20]],
    ids=["garbage", "truncated"],
)
def test_corrupt_body_is_a_400(echo, data):
    result = echo().post("/echo", body=data, headers={"Content-Encoding": "gzip"})
    assert result.status == 400


def test_unsupported_coding_is_a_415_naming_what_is_accepted(echo):
    result = echo().post("/echo", body=b"xx", headers={"Content-Encoding": "compress"})
    assert result.status == 415
    assert result.headers["Accept-Encoding"] == "gzip, deflate"


def test_off_by_default(make_app, make_client):
    app = make_app({"/": {"tools.gzip.on": True}})
    app.route("/echo", lambda req, resp: req.body.bytes, methods=["POST"])
    data = gzip.compress(PAYLOAD)
    result = make_client(app).post("/echo", body=data, headers={"Content-Encoding": "gzip"})
    assert result.status == 200
    assert result.body == data
