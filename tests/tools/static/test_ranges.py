"""Byte ranges: single, suffix, open-ended, multiple (multipart/byteranges), If-Range, 416."""

from __future__ import annotations

import os
from email.utils import formatdate

import pytest

BIG = "/static/big.bin"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1000", 1000, 1000),
        ("bytes=299000-", 299000, 299999),
        ("bytes=-500", 299500, 299999),
        ("bytes=299990-400000", 299990, 299999),  # the end is clamped
        ("bytes=-999999", 0, 299999),  # a suffix longer than the file is the whole file
        ("BYTES = 5-9", 5, 9),
    ],
)
def test_single_ranges(static_client, site, header, first, last):
    result = static_client.get(BIG, headers={"Range": header})
    assert result.status == 206
    assert result.headers["Content-Range"] == f"bytes {first}-{last}/300000"
    assert result.headers["Content-Length"] == str(last - first + 1)
    assert result.headers["Content-Type"] == "application/octet-stream"
    assert result.body == site.big[first : last + 1]


def test_multiple_ranges_parse_back_to_the_original_bytes(static_client, site, byteranges):
    result = static_client.get(BIG, headers={"Range": "bytes=0-9, 100000-165535, -7"})
    assert result.status == 206
    assert "Content-Range" not in result.headers
    assert int(result.headers["Content-Length"]) == len(result.body)
    parts = byteranges(result.headers["Content-Type"], result.body)
    assert [(ctype, crange) for ctype, crange, _ in parts] == [
        ("application/octet-stream", "bytes 0-9/300000"),
        ("application/octet-stream", "bytes 100000-165535/300000"),
        ("application/octet-stream", "bytes 299993-299999/300000"),
    ]
    assert [data for _, _, data in parts] == [
        site.big[0:10],
        site.big[100000:165536],
        site.big[-7:],
    ]


def test_multipart_parts_carry_the_files_type(static_client, byteranges):
    result = static_client.get("/static/a.txt", headers={"Range": "bytes=0-4,7-12"})
    parts = byteranges(result.headers["Content-Type"], result.body)
    assert parts == [
        ("text/plain; charset=utf-8", "bytes 0-4/20", b"hello"),
        ("text/plain; charset=utf-8", "bytes 7-12/20", b"static"),
    ]


def test_overlapping_ranges_are_merged(static_client, site):
    result = static_client.get(BIG, headers={"Range": "bytes=50-99,0-59,100-109"})
    assert result.status == 206
    assert result.headers["Content-Range"] == "bytes 0-109/300000"
    assert result.body == site.big[:110]


@pytest.mark.parametrize(
    "header", ["bytes=300000-", "bytes=400000-500000", "bytes=-0", "bytes=300000-,-0"]
)
def test_unsatisfiable_ranges_get_416(static_client, header):
    result = static_client.get(BIG, headers={"Range": header})
    assert result.status == 416
    assert result.headers["Content-Range"] == "bytes */300000"


@pytest.mark.parametrize(
    "header",
    ["bytes=9-3", "bytes=abc", "items=0-9", "bytes=", "bytes=--5", "bytes=1-2-3", "bytes=0x10-20"],
)
def test_invalid_range_headers_are_ignored(static_client, site, header):
    result = static_client.get(BIG, headers={"Range": header})
    assert result.status == 200
    assert result.body == site.big


def test_too_many_ranges_are_ignored(static_client, site):
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(65))
    result = static_client.get(BIG, headers={"Range": header})
    assert result.status == 200
    assert len(result.body) == len(site.big)


def test_if_range_with_the_current_etag_honours_the_range(static_client):
    etag = static_client.get(BIG).headers["ETag"]
    result = static_client.get(BIG, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert result.status == 206
    assert len(result.body) == 10


def test_if_range_with_an_old_etag_sends_the_whole_file(static_client, site):
    result = static_client.get(BIG, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert result.status == 200
    assert result.body == site.big


def test_if_range_with_a_weak_etag_never_matches(static_client):
    etag = static_client.get(BIG).headers["ETag"]
    result = static_client.get(BIG, headers={"Range": "bytes=0-9", "If-Range": f"W/{etag}"})
    assert result.status == 200


def test_if_range_by_date(static_client, site):
    mtime = int(os.stat(site.public / "big.bin").st_mtime)
    exact = formatdate(mtime, usegmt=True)
    assert static_client.get(BIG, headers={"Range": "bytes=0-9", "If-Range": exact}).status == 206
    other = formatdate(mtime + 60, usegmt=True)
    assert static_client.get(BIG, headers={"Range": "bytes=0-9", "If-Range": other}).status == 200


def test_head_ignores_range(static_client):
    result = static_client.head(BIG, headers={"Range": "bytes=0-9"})
    assert result.status == 200
    assert result.headers["Content-Length"] == "300000"
    assert result.body == b""


def test_empty_file(static_client):
    result = static_client.get("/static/empty.txt")
    assert result.status == 200
    assert result.headers["Content-Length"] == "0"
    assert result.body == b""
    # Nothing of an empty file can be selected: the Range is ignored.
    assert static_client.get("/static/empty.txt", headers={"Range": "bytes=0-"}).status == 200
