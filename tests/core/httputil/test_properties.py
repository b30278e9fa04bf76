"""Property tests: no input string makes a parser raise anything but HeaderError.

Header values reach the parsers as WSGI servers hand them over (Latin-1
characters); tools and tests may pass any ``str``, so both are generated.
Alongside, the round trips a tool relies on: format then parse gives back
what was formatted.
"""

from __future__ import annotations

import itertools
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from pegboard import httputil
from pegboard.httputil import EntityTag, HeaderError, MediaType

FUZZ = settings(max_examples=400, deadline=None, database=None)

latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=80)
anything = st.text(max_size=80)
# Text built from the characters header grammars care about, so that near-misses are common.
grammar = st.lists(
    st.sampled_from(
        [*'abcxyzAZ019*/;,=." \t\\-+W_\x00\xe9', "q=", "q=0.5", "gzip", "bytes=", 'W/"']
    ),
    max_size=30,
).map("".join)
headers = st.one_of(latin1, anything, grammar)


def _only_header_error(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except HeaderError:
        return None


@FUZZ
@given(headers, st.booleans())
def test_negotiation_parsers(value, strict):
    for parse in (
        httputil.parse_accept,
        httputil.parse_accept_encoding,
        httputil.parse_accept_charset,
        httputil.parse_accept_language,
    ):
        prefs = _only_header_error(parse, value, strict=strict)
        if prefs is not None:
            for item in prefs.items:
                assert 0.0 <= item.q <= 1.0


@FUZZ
@given(headers)
def test_lenient_negotiation_never_raises(value):
    assert httputil.best_encoding(value, ("br", "gzip"), strict=False) in (None, "br", "gzip")
    assert httputil.best_charset(value, ("utf-8",), strict=False) in (None, "utf-8")
    assert httputil.best_language(value, ("en", "fr-CH"), strict=False) in (None, "en", "fr-CH")
    assert httputil.best_media(value, ("text/html", "application/json"), strict=False) in (
        None,
        "text/html",
        "application/json",
    )


@FUZZ
@given(headers)
def test_field_helpers(value):
    _only_header_error(httputil.split_list, value)
    _only_header_error(httputil.split_list, value, ";")
    _only_header_error(httputil.parse_parameters, value)
    _only_header_error(httputil.unquote_string, value)
    _only_header_error(httputil.quote_string, value)
    _only_header_error(httputil.check_field_value, value)
    assert isinstance(httputil.is_token(value), bool)
    assert isinstance(httputil.is_valid_field_value(value), bool)
    assert all(httputil.is_token(n) for n in httputil.parse_field_names(value))
    assert httputil.parse_qvalue(value) is None or 0.0 <= httputil.parse_qvalue(value) <= 1.0


@FUZZ
@given(headers, st.booleans())
def test_entity_tag_parsers(value, weak):
    tag = httputil.parse_entity_tag(value)
    assert tag is None or httputil.parse_entity_tag(str(tag)) == tag
    _only_header_error(httputil.parse_entity_tag_list, value)
    assert httputil.parse_entity_tag_list(value, strict=False) is not None
    assert isinstance(httputil.entity_tags_match(value, '"v1"', weak=weak), bool)
    assert isinstance(httputil.entity_tags_match('"v1", W/"v2"', value, weak=weak), bool)
    assert isinstance(httputil.strong_compare(value, value), bool)
    _only_header_error(httputil.format_entity_tag, value, weak=weak)


@FUZZ
@given(headers, st.sampled_from(["GET", "HEAD", "PUT", "POST"]), st.booleans())
def test_conditions_never_raise(value, method, exists):
    for field in ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since"):
        result = httputil.evaluate_preconditions(
            method, etag='"v1"', last_modified=784111777, exists=exists, **{field: value}
        )
        assert result in (None, 304, 412)
    assert isinstance(httputil.if_range_matches(value, '"v1"', 784111777), bool)


@FUZZ
@given(headers)
def test_dates(value):
    stamp = httputil.parse_http_date(value)
    assert stamp is None or isinstance(stamp, int)


@FUZZ
@given(st.integers(min_value=-62135596800, max_value=253402300799))
def test_dates_round_trip(stamp):
    assert httputil.parse_http_date(httputil.format_http_date(stamp)) == stamp


@FUZZ
@given(st.one_of(headers, st.text("0123456789-=, bytes", max_size=60)), st.integers(0, 10**6))
def test_ranges(value, size):
    ranges = httputil.parse_range(value, size)
    if ranges is None:
        return
    assert len(ranges) <= httputil.MAX_RANGES
    for first, last in ranges:
        assert 0 <= first <= last < size
    ordered = sorted(ranges)
    for (_, a_last), (b_first, _) in itertools.pairwise(ordered):
        assert a_last + 1 < b_first  # never overlapping, never touching


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, 10**30), st.one_of(st.none(), st.integers(0, 10**30))),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 10**9),
)
def test_ranges_agree_with_a_plain_reading(specs, size):
    text = "bytes=" + ",".join(f"{a}-{'' if b is None else b}" for a, b in specs)
    result = httputil.parse_range(text, size)
    if any(b is not None and b < a for a, b in specs):
        assert result is None
        return
    expected_bytes = set()
    for a, b in specs:
        last = size - 1 if b is None else min(b, size - 1)
        if a < size:
            expected_bytes.update(range(a, min(last, a + 50) + 1))  # sample the start of each
    assert result is not None
    assert all(any(first <= n <= last for first, last in result) for n in expected_bytes)


@FUZZ
@given(headers)
def test_media_types_and_charsets(value):
    media = _only_header_error(httputil.parse_media_type, value)
    if media is not None:
        assert httputil.parse_media_type(str(media)) == media
    assert isinstance(httputil.is_media_pattern(value), bool)
    assert isinstance(
        httputil.MediaTypeMatcher(["text/*", "application/*+json"]).matches(value), bool
    )
    codec = httputil.charset_codec(value)
    assert codec is None or isinstance(codec, str)


token = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1, max_size=10)
quotable = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF).filter(lambda c: c != "\x7f"), max_size=20
)


@FUZZ
@given(token, token, st.lists(st.tuples(token, quotable), max_size=4))
def test_media_type_round_trip(kind, sub, params):
    media = MediaType(kind.lower(), sub.lower(), tuple((n.lower(), v) for n, v in params))
    if "*" in (media.type, media.subtype):
        return
    assert httputil.parse_media_type(str(media)) == media


@FUZZ
@given(quotable)
def test_quoting_round_trip(text):
    assert httputil.unquote_string(httputil.quote_string(text)) == text
    assert httputil.split_list(f"a, {httputil.quote_string(text)}, b")[::2] == ["a", "b"]


@FUZZ
@given(
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0xFF).filter(lambda c: c not in '"\x7f'),
        max_size=20,
    ),
    st.booleans(),
)
def test_entity_tag_round_trip(opaque, weak):
    text = httputil.format_entity_tag(opaque, weak=weak)
    assert httputil.parse_entity_tag(text) == EntityTag(opaque, weak)
    assert httputil.parse_entity_tag_list(f"{text}, {text}") == (EntityTag(opaque, weak),) * 2


@FUZZ
@given(headers)
def test_credentials(value):
    credentials = _only_header_error(httputil.parse_authorization, value)
    if credentials is not None:
        assert credentials.scheme == credentials.scheme.lower()
    params = _only_header_error(httputil.parse_auth_params, value)
    assert params is None or all(name == name.lower() for name in params)


@FUZZ
@given(headers)
def test_cache_control(value):
    cc = httputil.parse_cache_control(value)
    for name in cc:
        assert httputil.is_token(name) and name == name.lower()
    for seconds in (cc.max_age, cc.s_maxage, cc.max_stale, cc.min_fresh):
        assert seconds is None or 0 <= seconds <= httputil.DELTA_SECONDS_MAX
