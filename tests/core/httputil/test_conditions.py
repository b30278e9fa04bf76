"""Entity tags, their comparison, and conditional requests (RFC 9110 §8.8.3, §13)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import EntityTag, HeaderError

# -- entity tags ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"xyzzy"', EntityTag("xyzzy")),
        ('W/"xyzzy"', EntityTag("xyzzy", weak=True)),
        ('""', EntityTag("")),
        ('  "a"  ', EntityTag("a")),
        ('"a\\"', EntityTag("a\\")),  # a backslash is an ordinary etagc
        ('"caf\xe9"', EntityTag("caf\xe9")),  # obs-text
        ("xyzzy", None),
        ('w/"x"', None),  # W/ is case-sensitive
        ('"a b"', None),
        ('"a"b"', None),
        ('"a', None),
        ('"a", "b"', None),
        ("*", None),
        ('"\x7f"', None),
    ],
)
def test_parse_entity_tag(value, expected):
    assert httputil.parse_entity_tag(value) == expected


def test_entity_tag_header_form():
    assert str(EntityTag("v1")) == '"v1"'
    assert str(EntityTag("v1", weak=True)) == 'W/"v1"'
    assert httputil.format_entity_tag("v1", weak=True) == 'W/"v1"'
    with pytest.raises(HeaderError):
        httputil.format_entity_tag('say "hi"')
    with pytest.raises(HeaderError):
        httputil.format_entity_tag("two words")


@pytest.mark.parametrize(
    # RFC 9110 §8.8.3.2's table.
    ("a", "b", "strong", "weak"),
    [
        ('W/"1"', 'W/"1"', False, True),
        ('W/"1"', 'W/"2"', False, False),
        ('W/"1"', '"1"', False, True),
        ('"1"', '"1"', True, True),
    ],
)
def test_comparison_table_of_the_rfc(a, b, strong, weak):
    assert httputil.strong_compare(a, b) is strong
    assert httputil.weak_compare(a, b) is weak
    ta, tb = httputil.parse_entity_tag(a), httputil.parse_entity_tag(b)
    assert ta is not None and tb is not None
    assert ta.strong_match(tb) is strong
    assert ta.weak_match(tb) is weak


def test_invalid_tags_compare_unequal():
    assert not httputil.strong_compare("nope", "nope")
    assert not httputil.weak_compare('"a"', "a")


def test_parse_entity_tag_list():
    assert httputil.parse_entity_tag_list('"xyzzy", "r2d2xxxx", "c3piozzzz"') == (
        EntityTag("xyzzy"),
        EntityTag("r2d2xxxx"),
        EntityTag("c3piozzzz"),
    )
    assert httputil.parse_entity_tag_list(" * ") == "*"
    assert httputil.parse_entity_tag_list('W/"a",, "b,c" ,') == (
        EntityTag("a", weak=True),
        EntityTag("b,c"),
    )
    assert httputil.parse_entity_tag_list("") == ()


@pytest.mark.parametrize("value", ['"a", b', '"a" "b"', '*, "a"', "W/a", '"a'])
def test_malformed_tag_lists(value):
    with pytest.raises(HeaderError):
        httputil.parse_entity_tag_list(value)
    lenient = httputil.parse_entity_tag_list(value, strict=False)
    assert lenient == "*" or all(isinstance(t, EntityTag) for t in lenient)


def test_lenient_list_skips_only_bad_members():
    assert httputil.parse_entity_tag_list('junk, "a", W/b, "c"', strict=False) == (
        EntityTag("a"),
        EntityTag("c"),
    )


@pytest.mark.parametrize(
    ("condition", "etag", "weak", "exists", "expected"),
    [
        ('"a"', '"a"', True, True, True),
        ('W/"a"', '"a"', True, True, True),
        ('W/"a"', '"a"', False, True, False),  # If-Match needs strong comparison
        ('"a"', 'W/"a"', False, True, False),
        ('"a"', 'W/"a"', True, True, True),
        ('"b", "a"', EntityTag("a"), False, True, True),
        ('"b"', '"a"', True, True, False),
        ("*", '"a"', False, True, True),
        ("*", None, False, True, True),
        ("*", None, False, False, False),  # "*" asks for a current representation
        ('"a"', None, True, True, False),
        ("garbage", '"a"', True, True, False),
        ('"a"', "not a tag", True, True, False),
    ],
)
def test_entity_tags_match(condition, etag, weak, exists, expected):
    assert httputil.entity_tags_match(condition, etag, weak=weak, exists=exists) is expected


# -- preconditions (RFC 9110 §13.2.2) ------------------------------------------------------

LM = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
LM_TEXT = "Sun, 06 Nov 1994 08:49:37 GMT"
EARLIER = "Sat, 05 Nov 1994 08:49:37 GMT"


def _evaluate(method="GET", etag='"v1"', last_modified=LM, exists=True, **headers):
    return httputil.evaluate_preconditions(
        method, etag=etag, last_modified=last_modified, exists=exists, **headers
    )


def test_no_conditions_go_on():
    assert _evaluate() is None


def test_if_match():
    assert _evaluate(if_match='"v1"') is None
    assert _evaluate(if_match='"v2"') == 412
    assert _evaluate(if_match='W/"v1"') == 412
    assert _evaluate(if_match="*") is None
    assert _evaluate(if_match="*", exists=False, etag=None) == 412


def test_if_unmodified_since():
    assert _evaluate(if_unmodified_since=LM_TEXT) is None
    assert _evaluate(if_unmodified_since=EARLIER) == 412
    assert _evaluate(if_unmodified_since="not a date") is None  # ignored
    assert _evaluate(if_unmodified_since=EARLIER, last_modified=None) is None  # ignored
    # If-Match present: If-Unmodified-Since is not looked at.
    assert _evaluate(if_match='"v1"', if_unmodified_since=EARLIER) is None


def test_if_none_match():
    assert _evaluate(if_none_match='"v1"') == 304
    assert _evaluate(if_none_match='W/"v1"') == 304
    assert _evaluate("HEAD", if_none_match='"v1"') == 304
    assert _evaluate("PUT", if_none_match='"v1"') == 412
    assert _evaluate(if_none_match='"v2"') is None
    assert _evaluate("PUT", if_none_match="*") == 412
    assert _evaluate("PUT", if_none_match="*", exists=False, etag=None) is None


def test_if_modified_since():
    assert _evaluate(if_modified_since=LM_TEXT) == 304
    assert _evaluate(if_modified_since=EARLIER) is None
    assert _evaluate(last_modified=LM + 0.9, if_modified_since=LM_TEXT) == 304  # whole seconds
    assert _evaluate("POST", if_modified_since=LM_TEXT) is None  # GET and HEAD only
    assert _evaluate(if_modified_since=f"{LM_TEXT}, {LM_TEXT}") is None  # a list: ignored
    # If-None-Match present: If-Modified-Since is not looked at.
    assert _evaluate(if_none_match='"v2"', if_modified_since=LM_TEXT) is None


def test_if_match_is_evaluated_before_if_none_match():
    assert _evaluate(if_match='"v2"', if_none_match='"v1"') == 412


# -- If-Range --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "etag", "last_modified", "expected"),
    [
        ('"v1"', '"v1"', LM, True),
        ('"v2"', '"v1"', LM, False),
        ('W/"v1"', '"v1"', LM, False),  # a weak tag never allows a range
        ('"v1"', 'W/"v1"', LM, False),
        ('"v1"', None, LM, False),
        (LM_TEXT, '"v1"', LM, True),
        (LM_TEXT, '"v1"', LM + 0.5, True),
        (EARLIER, '"v1"', LM, False),
        (LM_TEXT, '"v1"', None, False),
        ("garbage", '"v1"', LM, False),
        ("", '"v1"', LM, False),
    ],
)
def test_if_range_matches(value, etag, last_modified, expected):
    assert httputil.if_range_matches(value, etag, last_modified) is expected
