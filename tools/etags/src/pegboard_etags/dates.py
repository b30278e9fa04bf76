"""HTTP dates (RFC 9110 §5.6.7): parsing what clients send, formatting what we send."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import format_datetime, parsedate_to_datetime

__all__ = ["http_date", "parse_http_date"]

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"\d\d:\d\d:\d\d"
# The three forms a recipient accepts: IMF-fixdate, the obsolete rfc850 and asctime.
_HTTP_DATE = re.compile(
    rf"{_DAY}, \d\d {_MONTH} \d{{4}} {_TIME} GMT"
    rf"|{_LONG_DAY}, \d\d-{_MONTH}-\d\d {_TIME} GMT"
    rf"|{_DAY} {_MONTH} [ \d]\d {_TIME} \d{{4}}"
)


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch for an HTTP-date, or None when it is not exactly one.

    Anything else (another zone than GMT, two dates in a list, a typo) is
    None, and RFC 9110 asks for such a condition to be ignored.
    """
    value = value.strip()
    if _HTTP_DATE.fullmatch(value) is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def http_date(when: dt.datetime | float) -> str:
    """``Sun, 06 Nov 1994 08:49:37 GMT`` for a datetime (naive means UTC) or a timestamp."""
    if isinstance(when, dt.datetime):
        moment = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    else:
        moment = dt.datetime.fromtimestamp(when, dt.UTC)
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)
