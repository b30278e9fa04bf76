"""zlib-ng (the ``fast`` extra) and the standard zlib give clients the same bodies.

The tool uses zlib-ng for compress_level 2-9 when it is installed (it is, in
the test environment, through ``pegboard[all]``); every test here also runs
with it hidden, so both implementations are checked against a stock decoder.
"""

from __future__ import annotations

import gzip
import random
import zlib

import pytest

import pegboard_gzip.codings as codings


def _prose(size: int) -> str:
    """Text that compresses like a page does (a repeated line compresses unlike anything real)."""
    words = [
        "the",
        "a",
        "of",
        "to",
        "and",
        "in",
        "is",
        "it",
        "that",
        "for",
        "on",
        "with",
        "as",
        "by",
        "at",
        "from",
        "page",
        "header",
        "body",
        "request",
        "response",
        "client",
        "server",
        "cache",
        "session",
        "compress",
        "stream",
        "chunk",
    ]
    rng = random.Random(7)
    lines = []
    while sum(map(len, lines)) < size:
        lines.append(" ".join(rng.choice(words) for _ in range(11)).capitalize() + ".\n")
    return "".join(lines)


TEXT = _prose(4000)


@pytest.fixture(params=["zlib-ng", "zlib"])
def implementation(request, monkeypatch):
    if request.param == "zlib":
        real = codings._installed
        monkeypatch.setattr(codings, "_installed", lambda name: name != "zlib_ng" and real(name))
    return request.param


def _app(make_app, level):
    app = make_app({"/": {"tools.gzip.on": True, "tools.gzip.compress_level": level}})
    app.route("/", lambda req, resp: TEXT)

    @app.route("/stream")
    def stream(req, resp):
        resp.headers["Content-Type"] = "text/plain"
        data = TEXT.encode()
        return (data[i : i + 1024] for i in range(0, len(data), 1024))

    return app


def test_zlib_ng_is_used_for_levels_two_to_nine_only(implementation):
    for level in range(10):
        module = codings.zlib_module(level)
        expected = "zlib_ng" if implementation == "zlib-ng" and 2 <= level <= 9 else "zlib"
        assert module.__name__.rsplit(".", 1)[-1] == expected, level


@pytest.mark.parametrize("level", [1, 5, 9])
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_whole_and_streamed_bodies_decode_with_the_standard_library(
    make_app, make_client, implementation, level, coding
):
    client = make_client(_app(make_app, level))
    decoders = {"gzip": gzip.decompress, "deflate": zlib.decompress}
    for path in ("/", "/stream"):
        result = client.get(path, headers={"Accept-Encoding": coding})
        assert result.headers["Content-Encoding"] == coding
        assert decoders[coding](result.body) == TEXT.encode()
        assert len(result.body) < len(TEXT) // 2  # it did compress


@pytest.mark.parametrize("level", [2, 5, 6, 9])
def test_levels_two_to_nine_compress_as_well_with_either(implementation, level):
    body = _prose(20000).encode()
    coding = codings.make_coding("gzip", compress_level=level, br_quality=4, zstd_level=3)
    assert len(coding.compress(body)) <= len(zlib.compress(body, level, wbits=31)) * 1.02
