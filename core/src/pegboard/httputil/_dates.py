"""HTTP dates (RFC 9110 §5.6.7): parsing the three formats, formatting IMF-fixdate.

Parsing accepts IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), the obsolete
RFC 850 form (``Sunday, 06-Nov-94 08:49:37 GMT``) and asctime
(``Sun Nov  6 08:49:37 1994``). Following the RFC's advice to be robust, names
are matched without regard to case, and the Internet Message Format's numeric
zones (``+0200``) and ``UT``/``UTC`` are understood. Anything else, a list of
dates included, is None: RFC 9110 asks for such a field to be ignored.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import time

from ._cache import cache_short
from ._fields import HeaderError

__all__ = ["format_http_date", "parse_http_date"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): index + 1 for index, name in enumerate(_MONTHS)}
_MONTH_EXACT = {name: index + 1 for index, name in enumerate(_MONTHS)}
_DAY_SET = frozenset(_DAYS)
_DAY_NAMES = frozenset(
    [d.lower() for d in _DAYS]
    + ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
# IMF-fixdate and rfc850-date in one pattern: [day-name ","] DD(-| )Mon(-| )YY[YY] hh:mm[:ss] zone
_IMF = re.compile(
    r"[ \t]*(?:([A-Za-z]{3,9}),[ \t]*)?([0-9]{1,2})([ -])([A-Za-z]{3})\3([0-9]{4}|[0-9]{2})"
    r"[ \t]+([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?[ \t]+(GMT|UTC|UT|Z|[+-][0-9]{4})[ \t]*",
    re.IGNORECASE,
).fullmatch
# asctime-date: day-name SP month SP ( 2DIGIT / ( SP DIGIT )) SP time-of-day SP year
_ASCTIME = re.compile(
    r"[ \t]*([A-Za-z]{3})[ \t]+([A-Za-z]{3})[ \t]+([0-9]{1,2})[ \t]+"
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})[ \t]+([0-9]{4})[ \t]*"
).fullmatch
_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
_MIN_TIMESTAMP = -62135596800  # 0001-01-01T00:00:00Z


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _full_year(two_digits: int) -> int:
    """RFC 9110: a two-digit year more than 50 years ahead is the latest past year ending so."""
    this_year = time.gmtime().tm_year
    year = this_year - this_year % 100 + two_digits
    return year - 100 if year > this_year + 50 else year


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch for an HTTP-date, or None when ``value`` is not exactly one date."""
    return _parse_http_date(value)


# PERF: conditional requests echo the few Last-Modified values a site sends.
@cache_short(256)
def _parse_http_date(value: str) -> int | None:
    value = value.strip(" \t")
    if len(value) == 29 and value[28] == "T":
        stamp = _imf_fixdate(value)  # PERF: what every current client sends, read by position
        if stamp is not None:
            return stamp
    if len(value) > 64:
        return None  # no valid form is that long; do not run the patterns over a huge header
    match = _IMF(value)
    if match is not None:
        day_name, day, _, month_name, year_text, hour, minute, second, zone = match.groups()
        if day_name is not None and day_name.lower() not in _DAY_NAMES:
            return None
        year = int(year_text) if len(year_text) == 4 else _full_year(int(year_text))
    else:
        match = _ASCTIME(value)
        if match is None:
            return None
        day_name, month_name, day, hour, minute, second, year_text = match.groups()
        if day_name.lower() not in _DAY_NAMES:
            return None
        year, zone = int(year_text), "GMT"
    month = _MONTH_NUMBER.get(month_name.lower())
    if month is None or year < 1:
        return None
    day_number, hours, minutes = int(day), int(hour), int(minute)
    seconds = int(second) if second is not None else 0
    if not 1 <= day_number <= _days_in_month(year, month):
        return None
    if hours > 23 or minutes > 59 or seconds > 60:  # 60: a leap second, as IMF allows
        return None
    stamp = ((_days_from_civil(year, month, day_number) * 24 + hours) * 60 + minutes) * 60 + seconds
    if zone[0] in "+-":
        offset_hours, offset_minutes = int(zone[1:3]), int(zone[3:5])
        if offset_minutes > 59:
            return None
        offset = (offset_hours * 60 + offset_minutes) * 60
        stamp -= offset if zone[0] == "+" else -offset
    return stamp


def _imf_fixdate(value: str) -> int | None:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` read by position, or None to let the patterns decide."""
    if (
        value[3:5] != ", "
        or value[7] != " "
        or value[11] != " "
        or value[16] != " "
        or value[19] != ":"
        or value[22] != ":"
        or value[25:] != " GMT"
        or value[:3] not in _DAY_SET
    ):
        return None
    month = _MONTH_EXACT.get(value[8:11])
    digits = value[5:7] + value[12:16] + value[17:19] + value[20:22] + value[23:25]
    if month is None or not digits.isascii() or not digits.isdigit():
        return None
    day, year = int(value[5:7]), int(value[12:16])
    hours, minutes, seconds = int(value[17:19]), int(value[20:22]), int(value[23:25])
    if year < 1 or not 1 <= day <= _days_in_month(year, month):
        return None
    if hours > 23 or minutes > 59 or seconds > 60:
        return None
    return ((_days_from_civil(year, month, day) * 24 + hours) * 60 + minutes) * 60 + seconds


def format_http_date(when: float | dt.datetime | None = None) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` for a timestamp, a datetime (naive is UTC) or now.

    Fractions of a second are dropped. HeaderError for a moment outside the
    years 1 to 9999, or not a number.
    """
    if when is None:
        now = time.time()
        start, text = _now_cache
        if start <= now < start + 1:
            return text  # PERF: every response in the same second shares the string
        second = int(now)
        text = _format_seconds(second)
        _set_now(second, text)
        return text
    if when.__class__ is int and _MIN_TIMESTAMP <= when <= _MAX_TIMESTAMP:
        return _format_seconds(when)  # PERF: the usual call, an int timestamp
    if isinstance(when, dt.datetime):
        moment = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        when = moment.timestamp()
    try:
        seconds = math.floor(when)
    except (TypeError, ValueError, OverflowError):
        raise HeaderError(f"{when!r} is not a moment in time") from None
    if not _MIN_TIMESTAMP <= seconds <= _MAX_TIMESTAMP:
        raise HeaderError(f"{when!r} is outside the years 1 to 9999 an HTTP-date can hold")
    return _format_seconds(seconds)


_now_cache: tuple[int, str] = (-2, "")


def _set_now(seconds: int, text: str) -> None:
    global _now_cache
    _now_cache = (seconds, text)  # one tuple, replaced whole: safe for concurrent readers


# PERF: a site formats the same few timestamps (file mtimes, cookie expiries) again and again.
@functools.lru_cache(maxsize=1024)
def _format_seconds(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    year, month, day = _civil_from_days(days)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (index 3 from Monday)
    return (
        f"{_DAYS[weekday]}, {day:02d} {_MONTHS[month - 1]} {year:04d} "
        f"{hour:02d}:{minute:02d}:{second:02d} GMT"
    )


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) for days since 1970-01-01 (H. Hinnant's algorithm)."""
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day
