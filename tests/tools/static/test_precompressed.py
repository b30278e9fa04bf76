"""Precompressed siblings chosen by Accept-Encoding (q-values, q=0), Vary, one ETag per encoding."""

from __future__ import annotations

import functools
import gzip
import os

import brotli
import pytest
import zstandard

SOURCE = b"".join(b"function f%d() { return %d; }\n" % (i, i * i) for i in range(2000))
PATH = "/static/app.js"


@functools.cache
def _encodings() -> dict[str, bytes]:
    return {
        "br": brotli.compress(SOURCE, quality=5),
        "zst": zstandard.ZstdCompressor().compress(SOURCE),
        "gz": gzip.compress(SOURCE, mtime=0),
    }


@pytest.fixture
def compressed(site):
    """``app.js`` with .br, .zst and .gz siblings carrying the file's mtime."""
    path = site.public / "app.js"
    path.write_bytes(SOURCE)
    st = os.stat(path)
    encoded = _encodings()
    for suffix, data in encoded.items():
        sibling = site.public / f"app.js.{suffix}"
        sibling.write_bytes(data)
        os.utime(sibling, ns=(st.st_atime_ns, st.st_mtime_ns))
    return encoded


def _decode(coding, body):
    if coding == "br":
        return brotli.decompress(body)
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompress(body)
    if coding == "gzip":
        return gzip.decompress(body)
    return body


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("zstd", "zstd"),
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("gzip, br;q=0", "gzip"),
        ("*", "br"),
        ("*, br;q=0", "zstd"),
        ("*;q=0.1, gzip;q=0.2", "gzip"),
        ("*;q=0", None),
        ("identity", None),
        ("gzip;q=0.5, identity;q=1", None),
        ("br;q=abc", None),
        ("BR", "br"),
        (None, None),
    ],
)
def test_the_sibling_follows_accept_encoding(static_client, compressed, accept, coding):
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    result = static_client.get(PATH, headers=headers)
    assert result.status == 200
    assert result.headers.get("Content-Encoding") == coding
    assert result.headers["Vary"] == "Accept-Encoding"
    assert result.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert int(result.headers["Content-Length"]) == len(result.body)
    assert _decode(coding, result.body) == SOURCE


def test_each_encoding_has_its_own_etag(static_client, compressed):
    tags = {
        accept: static_client.get(PATH, headers={"Accept-Encoding": accept}).headers["ETag"]
        for accept in ("identity", "br", "zstd", "gzip")
    }
    assert len(set(tags.values())) == 4


def test_304_is_per_encoding(static_client, compressed):
    br_tag = static_client.get(PATH, headers={"Accept-Encoding": "br"}).headers["ETag"]
    same = static_client.get(PATH, headers={"Accept-Encoding": "br", "If-None-Match": br_tag})
    assert same.status == 304
    assert same.headers["Vary"] == "Accept-Encoding"
    assert same.headers["ETag"] == br_tag
    other = static_client.get(PATH, headers={"Accept-Encoding": "gzip", "If-None-Match": br_tag})
    assert other.status == 200
    assert other.headers["Content-Encoding"] == "gzip"


def test_ranges_apply_to_the_encoded_bytes(static_client, compressed):
    result = static_client.get(PATH, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert result.status == 206
    assert result.headers["Content-Encoding"] == "gzip"
    assert result.headers["Content-Range"] == f"bytes 0-9/{len(compressed['gz'])}"
    assert result.body == compressed["gz"][:10]


def test_head_describes_the_chosen_sibling(static_client, compressed):
    result = static_client.head(PATH, headers={"Accept-Encoding": "br"})
    assert result.headers["Content-Encoding"] == "br"
    assert result.headers["Content-Length"] == str(len(compressed["br"]))
    assert result.body == b""


def test_a_stale_sibling_is_ignored(static_client, compressed, site):
    path = site.public / "app.js"
    st = os.stat(path)
    os.utime(site.public / "app.js.br", ns=(st.st_atime_ns, st.st_mtime_ns - 10**9))
    result = static_client.get(PATH, headers={"Accept-Encoding": "br, gzip"})
    assert result.headers["Content-Encoding"] == "gzip"


def test_a_sibling_symlink_leaving_the_root_is_ignored(static_client, compressed, site):
    (site.public / "app.js.br").unlink()
    outside = site.outside / "evil.br"
    outside.write_bytes(b"not the file")
    os.symlink(outside, site.public / "app.js.br")
    result = static_client.get(PATH, headers={"Accept-Encoding": "br, gzip"})
    assert result.headers["Content-Encoding"] == "gzip"


def test_precompressed_off(static_app, make_client, compressed):
    client = make_client(static_app(precompressed=False))
    result = client.get(PATH, headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in result.headers
    assert "Vary" not in result.headers
    assert result.body == SOURCE


def test_without_siblings_the_file_itself_is_sent(static_client):
    result = static_client.get("/static/style.css", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in result.headers
    assert result.body == b"body { color: red }\n"
    # Vary is declared for every compressible type: a sibling may appear later.
    assert result.headers["Vary"] == "Accept-Encoding"


def test_compressed_formats_neither_look_for_siblings_nor_vary(static_client, site):
    (site.public / "photo.PNG.br").write_bytes(b"never chosen")
    result = static_client.get("/static/photo.PNG", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in result.headers
    assert "Vary" not in result.headers
