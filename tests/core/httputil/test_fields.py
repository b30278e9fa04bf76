"""Field grammar: tokens, quoted strings, lists, parameters, value checks (RFC 9110 §5.5-5.6)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import HeaderError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gzip", True),
        ("x-custom.name_1", True),
        ("!#$%&'*+-.^_`|~", True),
        ("*", True),
        ("", False),
        ("a b", False),
        ("a/b", False),
        ('a"', False),
        ("ü", False),
        ("a\x00", False),
        ("a;b", False),
    ],
)
def test_is_token(text, expected):
    assert httputil.is_token(text) is expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("text/html", True),
        ("a\tb, c", True),
        ("caf\xe9", True),  # obs-text arrives as Latin-1 characters: allowed
        ("evil\r\nSet-Cookie: x=1", False),
        ("evil\nX: 1", False),
        ("evil\r", False),
        ("nul\x00", False),
    ],
)
def test_field_value_checks(value, ok):
    assert httputil.is_valid_field_value(value) is ok
    if ok:
        assert httputil.check_field_value(value) == value
    else:
        with pytest.raises(HeaderError, match="CR, LF or NUL"):
            httputil.check_field_value(value)


def test_quote_string_escapes_quotes_and_backslashes_and_round_trips():
    text = 'say "hi" \\ bye'
    quoted = httputil.quote_string(text)
    assert quoted == '"say \\"hi\\" \\\\ bye"'
    assert httputil.unquote_string(quoted) == text


def test_quote_string_refuses_control_characters():
    with pytest.raises(HeaderError):
        httputil.quote_string("line\nbreak")
    assert httputil.quote_string("tab\there") == '"tab\there"'


def test_quote_if_needed_keeps_tokens_bare():
    assert httputil.quote_if_needed("utf-8") == "utf-8"
    assert httputil.quote_if_needed("two words") == '"two words"'
    assert httputil.quote_if_needed("") == '""'


@pytest.mark.parametrize("text", ['"unterminated', '"a"b"', '"bad\x01"', '"trailing\\"'])
def test_unquote_string_refuses_malformed_quoted_strings(text):
    with pytest.raises(HeaderError):
        httputil.unquote_string(text)


def test_unquote_string_leaves_unquoted_text_alone():
    assert httputil.unquote_string("token") == "token"
    assert httputil.unquote_string('""') == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b,c", ["a", "b", "c"]),
        (" , a ,, b , ", ["a", "b"]),  # empty members are dropped (RFC 9110 §5.6.1)
        ('a, "b, c", d', ["a", '"b, c"', "d"]),
        ('x="q\\"uo,te", y', ['x="q\\"uo,te"', "y"]),
        ("", []),
        ("\t", []),
    ],
)
def test_split_list(value, expected):
    assert httputil.split_list(value) == expected


def test_split_list_on_another_separator():
    assert httputil.split_list('a=1; b="x;y"; c', ";") == ["a=1", 'b="x;y"', "c"]


def test_split_list_refuses_an_unterminated_quote():
    with pytest.raises(HeaderError, match="unterminated"):
        httputil.split_list('a, "b, c')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("; charset=utf-8", (("charset", "utf-8"),)),
        (';Charset="UTF-8" ; level=1', (("charset", "UTF-8"), ("level", "1"))),
        ('; a="x\\"y"', (("a", 'x"y'),)),
        (";; a=1 ;", (("a", "1"),)),  # empty parameters are allowed
        ("; a = 1", (("a", "1"),)),  # whitespace around "=" is tolerated
    ],
)
def test_parse_parameters(text, expected):
    assert httputil.parse_parameters(text) == expected


@pytest.mark.parametrize(
    "text", ["; a", "; =1", '; a="open', "; a=1 b=2", "a=1", "; a=b c", "; a=\x00"]
)
def test_parse_parameters_refuses_malformed_ones(text):
    with pytest.raises(HeaderError):
        httputil.parse_parameters(text)


def test_parse_field_names():
    assert httputil.parse_field_names("Accept-Encoding, cookie, ACCEPT-encoding") == (
        "accept-encoding",
        "cookie",
    )
    assert httputil.parse_field_names("*") == ("*",)
    assert httputil.parse_field_names("good, b@d, , x y") == ("good",)


def test_no_body_statuses():
    assert {100, 101, 103, 199, 204, 304} <= httputil.NO_BODY_STATUSES
    assert not {200, 205, 206, 301, 404, 500} & httputil.NO_BODY_STATUSES


def test_errors_are_value_errors_with_short_messages():
    with pytest.raises(ValueError) as caught:
        httputil.split_list('"' + "x" * 10_000)
    assert len(str(caught.value)) < 200
