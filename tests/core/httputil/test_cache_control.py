"""Cache-Control directives (RFC 9111 §5.2)."""

from __future__ import annotations

import pytest

from pegboard import httputil


def test_response_directives():
    cc = httputil.parse_cache_control(
        'public, max-age=60, s-maxage="120", no-cache="Set-Cookie, X-Id", Must-Revalidate'
    )
    assert dict(cc) == {
        "public": None,
        "max-age": "60",
        "s-maxage": "120",
        "no-cache": "Set-Cookie, X-Id",
        "must-revalidate": None,
    }
    assert cc.public and cc.must_revalidate and cc.no_cache
    assert not cc.no_store and not cc.private and not cc.no_transform
    assert cc.max_age == 60
    assert cc.s_maxage == 120
    assert cc.field_names("no-cache") == frozenset({"set-cookie", "x-id"})
    assert cc.field_names("public") == frozenset()


def test_request_directives():
    cc = httputil.parse_cache_control("max-stale, min-fresh=5, only-if-cached, no-transform")
    assert cc.max_stale == httputil.DELTA_SECONDS_MAX
    assert cc.min_fresh == 5
    assert "only-if-cached" in cc
    assert cc.no_transform
    assert httputil.parse_cache_control("max-stale=30").max_stale == 30
    assert httputil.parse_cache_control("").max_stale is None


def test_first_occurrence_wins_and_names_are_lower_cased():
    cc = httputil.parse_cache_control("MAX-AGE=5, max-age=10")
    assert cc.max_age == 5
    assert cc["max-age"] == "5"


def test_extensions_and_odd_spacing():
    cc = httputil.parse_cache_control(
        ' ,private="a\\"b" , stale-while-revalidate=30,, x-ext="1,2",y '
    )
    assert cc["private"] == 'a"b'
    assert cc.stale_while_revalidate == 30
    assert cc["x-ext"] == "1,2"
    assert "y" in cc
    assert httputil.parse_cache_control(None) == {}


@pytest.mark.parametrize(
    "value", ["max-age=abc", "max-age=-1", "max-age=1.5", "max-age=", "max-age"]
)
def test_invalid_delta_seconds_read_as_none(value):
    cc = httputil.parse_cache_control(value)
    assert "max-age" in cc  # present: a cache treats the response as stale
    assert cc.max_age is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("60", 60),
        ("007", 7),
        ("2147483648", 2**31),
        ("99999999999", 2**31),
        ("9" * 5000, 2**31),  # no ValueError past Python's int-string limit
        ("0" * 5000 + "5", 5),
        ("", None),
        ("²", None),  # str.isdigit() says yes; int() would raise
        ("\u0663", None),
        (None, None),
    ],
)
def test_parse_delta_seconds(text, expected):
    assert httputil.parse_delta_seconds(text) == expected


def test_skips_members_whose_name_is_not_a_token():
    assert dict(httputil.parse_cache_control('b@d=1, "quoted", no-store')) == {"no-store": None}
