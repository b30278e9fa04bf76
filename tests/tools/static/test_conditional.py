"""Validators and RFC 9110 precondition precedence (section 13.2.2)."""

from __future__ import annotations

import os
import time
from email.utils import formatdate, parsedate_to_datetime

import pytest

import pegboard_static

PATH = "/static/a.txt"


def _validators(client):
    result = client.get(PATH)
    assert result.status == 200
    return result.headers["ETag"], result.headers["Last-Modified"]


def test_file_responses_carry_strong_validators(static_client, site):
    result = static_client.get(PATH)
    etag = result.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    mtime = int(os.stat(site.public / "a.txt").st_mtime)
    assert result.headers["Last-Modified"] == formatdate(mtime, usegmt=True)
    assert result.headers["Accept-Ranges"] == "bytes"


def test_etag_changes_when_the_file_changes(static_client, site):
    before, _ = _validators(static_client)
    path = site.public / "a.txt"
    st = os.stat(path)
    path.write_bytes(b"hello, static world!\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    after, _ = _validators(static_client)
    assert before != after
    assert static_client.get(PATH, headers={"If-None-Match": before}).status == 200


def test_if_none_match_gives_304_with_only_the_allowed_headers(static_app, make_client):
    client = make_client(static_app(max_age=60))
    etag, _ = _validators(client)
    result = client.get(PATH, headers={"If-None-Match": etag})
    assert result.status == 304
    assert result.body == b""
    names = {name.lower() for name in result.headers}
    assert names <= {"etag", "cache-control", "vary", "date", "content-location", "expires"}
    assert result.headers["ETag"] == etag
    assert result.headers["Cache-Control"] == "max-age=60"


@pytest.mark.parametrize(
    "header",
    [
        '"nope", {etag}',
        "W/{etag}",  # weak comparison for If-None-Match
        '"a", W/"b",{etag}',
        "*",
    ],
)
def test_if_none_match_lists_and_weak_comparison(static_client, header):
    etag, _ = _validators(static_client)
    result = static_client.get(PATH, headers={"If-None-Match": header.format(etag=etag)})
    assert result.status == 304


def test_if_none_match_without_a_match_gives_the_file(static_client):
    result = static_client.get(PATH, headers={"If-None-Match": '"other", W/"another"'})
    assert result.status == 200
    assert result.body == b"hello, static world\n"


def test_head_gets_304_too(static_client):
    etag, _ = _validators(static_client)
    assert static_client.head(PATH, headers={"If-None-Match": etag}).status == 304


def test_if_modified_since_is_compared_as_a_date(static_client, site):
    _, last_modified = _validators(static_client)
    mtime = int(os.stat(site.public / "a.txt").st_mtime)
    assert static_client.get(PATH, headers={"If-Modified-Since": last_modified}).status == 304
    later = formatdate(mtime + 3600, usegmt=True)
    assert static_client.get(PATH, headers={"If-Modified-Since": later}).status == 304
    # The same instant in the two obsolete formats still counts (a date, not a string).
    rfc850 = time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(mtime))
    assert static_client.get(PATH, headers={"If-Modified-Since": rfc850}).status == 304
    asctime = time.asctime(time.gmtime(mtime))
    assert static_client.get(PATH, headers={"If-Modified-Since": asctime}).status == 304
    earlier = formatdate(mtime - 1, usegmt=True)
    assert static_client.get(PATH, headers={"If-Modified-Since": earlier}).status == 200
    assert static_client.get(PATH, headers={"If-Modified-Since": "yesterday"}).status == 200


def test_if_none_match_takes_precedence_over_if_modified_since(static_client):
    _, last_modified = _validators(static_client)
    headers = {"If-None-Match": '"something-else"', "If-Modified-Since": last_modified}
    assert static_client.get(PATH, headers=headers).status == 200


def test_if_match(static_client):
    etag, _ = _validators(static_client)
    assert static_client.get(PATH, headers={"If-Match": etag}).status == 200
    assert static_client.get(PATH, headers={"If-Match": f'"x", {etag}'}).status == 200
    assert static_client.get(PATH, headers={"If-Match": "*"}).status == 200
    assert static_client.get(PATH, headers={"If-Match": '"x"'}).status == 412
    # If-Match uses the strong comparison: a weak tag never matches.
    assert static_client.get(PATH, headers={"If-Match": f"W/{etag}"}).status == 412


def test_if_unmodified_since(static_client, site):
    mtime = int(os.stat(site.public / "a.txt").st_mtime)
    ok = formatdate(mtime, usegmt=True)
    assert static_client.get(PATH, headers={"If-Unmodified-Since": ok}).status == 200
    too_early = formatdate(mtime - 10, usegmt=True)
    result = static_client.get(PATH, headers={"If-Unmodified-Since": too_early})
    assert result.status == 412
    assert "ETag" not in result.headers
    # Invalid dates are ignored.
    assert static_client.get(PATH, headers={"If-Unmodified-Since": "soon"}).status == 200


def test_if_match_takes_precedence_over_if_unmodified_since(static_client, site):
    etag, _ = _validators(static_client)
    mtime = int(os.stat(site.public / "a.txt").st_mtime)
    headers = {"If-Match": etag, "If-Unmodified-Since": formatdate(mtime - 10, usegmt=True)}
    assert static_client.get(PATH, headers=headers).status == 200


def test_412_comes_before_304(static_client):
    etag, _ = _validators(static_client)
    headers = {"If-Match": '"x"', "If-None-Match": etag}
    assert static_client.get(PATH, headers=headers).status == 412


def test_cache_control_max_age_and_immutable(static_app, make_client):
    client = make_client(static_app(max_age=300))
    assert client.get(PATH).headers["Cache-Control"] == "max-age=300"
    hashed = client.get("/static/app.3f9a0c1be2.js")
    assert hashed.headers["Cache-Control"] == "max-age=31536000, immutable"
    dated = client.get("/static/report-20240101.txt")
    assert dated.headers["Cache-Control"] == "max-age=300"


def test_no_cache_control_unless_configured(static_app, make_client):
    client = make_client(static_app(immutable_pattern=None))
    assert "Cache-Control" not in client.get(PATH).headers
    assert "Cache-Control" not in client.get("/static/app.3f9a0c1be2.js").headers


def test_custom_immutable_pattern(static_app, make_client):
    client = make_client(static_app(immutable_pattern=r"^a\.txt$"))
    assert client.get(PATH).headers["Cache-Control"] == "max-age=31536000, immutable"


def test_a_future_mtime_is_sent_as_now(static_client, site):
    path = site.public / "a.txt"
    os.utime(path, (time.time() + 86400, time.time() + 86400))
    before = time.time()
    result = static_client.get(PATH)
    sent = parsedate_to_datetime(result.headers["Last-Modified"]).timestamp()
    assert int(before) <= sent <= time.time()


def test_a_304_keeps_headers_that_are_not_about_the_representation(make_app, make_client, site):
    config = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(site.public),
            "response.headers": {"X-Frame-Options": "DENY"},
        }
    }
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    etag, _ = _validators(client)
    result = client.get(PATH, headers={"If-None-Match": etag})
    assert result.status == 304
    assert result.headers["X-Frame-Options"] == "DENY"
    assert "Last-Modified" not in result.headers
