"""Media types, patterns and charsets (RFC 9110 §8.3)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import HeaderError, MediaType


def test_parse_media_type():
    media = httputil.parse_media_type('Text/HTML; Charset="UTF-8"; level=1')
    assert media == MediaType("text", "html", (("charset", "UTF-8"), ("level", "1")))
    assert media.essence == "text/html"
    assert media.charset == "utf-8"
    assert media.param("LEVEL") == "1"
    assert media.param("missing") is None
    assert str(media) == "text/html; charset=UTF-8; level=1"


def test_suffix():
    assert httputil.parse_media_type("application/ld+json").suffix == "json"
    assert httputil.parse_media_type("application/json").suffix is None
    assert httputil.parse_media_type("application/+json").suffix is None


def test_with_param_replaces_in_place_or_adds():
    media = httputil.parse_media_type("text/plain; charset=latin-1; format=flowed")
    assert str(media.with_param("Charset", "utf-8")) == "text/plain; charset=utf-8; format=flowed"
    assert str(media.with_param("name", "a b")) == (
        'text/plain; charset=latin-1; format=flowed; name="a b"'
    )
    with pytest.raises(HeaderError):
        media.with_param("bad name", "x")
    with pytest.raises(HeaderError):
        media.with_param("x", "line\nbreak")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "text",
        "text/",
        "/html",
        "text/html/x",
        "*/*",
        "text/*",
        "text /html",
        "text/html; x",
        'text/html; a="b',
    ],
)
def test_malformed_media_types(value):
    with pytest.raises(HeaderError):
        httputil.parse_media_type(value)


@pytest.mark.parametrize(
    ("pattern", "valid"),
    [
        ("text/html", True),
        ("text/*", True),
        ("*/*", True),
        ("application/*+json", True),
        ("*/html", False),  # never matches anything: refused
        ("*/*+json", False),
        ("text", False),
        ("text/*+", False),
        ("text/html; charset=utf-8", False),
        ("te*t/html", False),
    ],
)
def test_is_media_pattern(pattern, valid):
    assert httputil.is_media_pattern(pattern) is valid


def test_matcher():
    matcher = httputil.MediaTypeMatcher(["text/*", "application/json", "application/*+xml"])
    assert matcher.matches("text/html; charset=utf-8")
    assert matcher.matches("TEXT/CSS")
    assert matcher.matches("application/json")
    assert matcher.matches("application/atom+xml")
    assert not matcher.matches("application/xml")  # "+xml" needs a prefix
    assert not matcher.matches("image/png")
    assert not matcher.matches("")
    assert httputil.MediaTypeMatcher(["*/*"]).matches("image/png")
    with pytest.raises(HeaderError):
        httputil.MediaTypeMatcher(["text/html", "*/html"])


def test_matcher_cache_stays_bounded():
    matcher = httputil.MediaTypeMatcher(["text/*"])
    for i in range(2000):
        assert matcher.matches(f"text/x-{i}")
    assert len(matcher._cache) <= 256


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        (" utf-8 ", "utf-8"),
        ("latin-1", "iso8859-1"),
        ("ISO-8859-1", "iso8859-1"),
        ("windows-1252", "cp1252"),
        ("utf-16", "utf-16"),
        ("shift_jis", "shift_jis"),
        # Not text encodings: decoding a body with them was a 500 (issue 14.7).
        ("rot13", None),
        ("rot_13", None),
        ("hex", None),
        ("base64", None),
        ("zlib", None),
        ("bz2", None),
        ("uu", None),
        ("quopri", None),
        # Text codecs a client must not pick.
        ("utf-7", None),
        ("idna", None),
        ("punycode", None),
        ("unicode-escape", None),
        ("raw_unicode_escape", None),
        ("undefined", None),
        # Not charsets at all.
        ("", None),
        ("no-such-charset", None),
        ("utf-8\x00", None),
        ("x" * 41, None),
        ("utf 8", None),
        ("\udcff", None),
    ],
)
def test_charset_codec(label, codec):
    assert httputil.charset_codec(label) == codec


def test_unknown_charsets_do_not_reach_the_codec_registry():
    import encodings

    httputil.charset_codec("utf-8")
    before = len(encodings._cache)
    for i in range(500):
        assert httputil.charset_codec(f"made-up-{i}") is None
        # Spellings of a known name: each resolves, none adds a registry entry.
        spelling = "UTF"[: 1 + i % 3] + "tf"[i % 3 :] + "!#$%&"[i % 5] * (1 + i % 30) + "8"
        assert httputil.charset_codec(spelling) == "utf-8", spelling
    assert len(encodings._cache) == before
