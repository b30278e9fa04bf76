"""HTTP dates (RFC 9110 §5.6.7)."""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest

from pegboard import httputil
from pegboard.httputil import HeaderError

STAMP = 784111777


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850 format
        "Sun Nov  6 08:49:37 1994",  # ANSI C's asctime() format
        "sun, 06 nov 1994 08:49:37 gmt",  # names without regard to case
        "  Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 100,
        "Sun, 06 Nov 1994 09:49:37 +0100",  # IMF numeric zone
        "Sun, 06 Nov 1994 03:49:37 -0500",
        "06 Nov 1994 08:49:37 GMT",  # IMF allows leaving out the day name
        "Sun, 6 Nov 1994 08:49:37 UTC",
    ],
)
def test_the_three_formats_and_imf_variants(value):
    assert httputil.parse_http_date(value) == STAMP


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0",
        "-1",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",  # a list
        "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 29 Feb 1995 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Xyz 1994 08:49:37 GMT",
        "Abc, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 +0199",
        "Sun, 06 Nov 19940 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, \u0660\u0666 Nov 1994 08:49:37 GMT",  # Arabic-Indic digits are not DIGIT
        "Sun, 06 Nov 1994 08:49:37 GMT" + "x" * 100,
    ],
)
def test_anything_else_is_none(value):
    assert httputil.parse_http_date(value) is None


def test_leap_years_and_far_years():
    assert httputil.parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400
    assert httputil.parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799
    assert httputil.parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT") == -62135596800


def test_two_digit_years_follow_the_fifty_year_rule():
    this_year = time.gmtime().tm_year
    ahead = (this_year + 49) % 100
    behind = (this_year + 51) % 100
    start_ahead = httputil.parse_http_date(f"Monday, 01-Jan-{ahead:02d} 00:00:00 GMT")
    start_behind = httputil.parse_http_date(f"Monday, 01-Jan-{behind:02d} 00:00:00 GMT")
    assert start_ahead is not None and start_behind is not None
    assert time.gmtime(start_ahead).tm_year == this_year + 49
    assert time.gmtime(start_behind).tm_year == this_year + 51 - 100


@pytest.mark.parametrize("stamp", [0, 1, 86399, 951782400, STAMP, 2_000_000_000, 4_102_444_800])
def test_format_matches_the_standard_library_and_round_trips(stamp):
    text = httputil.format_http_date(stamp)
    assert text == email.utils.formatdate(stamp, usegmt=True)
    assert httputil.parse_http_date(text) == stamp


def test_format_drops_fractions_and_takes_datetimes():
    assert httputil.format_http_date(STAMP + 0.999) == "Sun, 06 Nov 1994 08:49:37 GMT"
    naive = dt.datetime(1994, 11, 6, 8, 49, 37)
    assert httputil.format_http_date(naive) == "Sun, 06 Nov 1994 08:49:37 GMT"
    paris = dt.datetime(1994, 11, 6, 9, 49, 37, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert httputil.format_http_date(paris) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert httputil.format_http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT"


def test_format_now_is_the_current_second():
    before = int(time.time())
    text = httputil.format_http_date()
    after = int(time.time())
    parsed = httputil.parse_http_date(text)
    assert parsed is not None and before <= parsed <= after
    assert httputil.format_http_date() in (text, httputil.format_http_date(parsed + 1))


@pytest.mark.parametrize("when", [float("nan"), float("inf"), 1e20, -1e20, 253402300800])
def test_format_refuses_moments_an_http_date_cannot_hold(when):
    with pytest.raises(HeaderError):
        httputil.format_http_date(when)
