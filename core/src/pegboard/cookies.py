"""Reading the Cookie header and writing Set-Cookie values (RFC 6265)."""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from email.utils import format_datetime

__all__ = ["Cookie", "parse_cookie_header"]

_NAME_OK = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash
_VALUE_OK = re.compile(r"^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse ``Cookie: a=1; b="2"`` into ``{"a": "1", "b": "2"}``.

    Lenient on purpose: a malformed pair is skipped, never the whole header
    (the standard library's SimpleCookie drops everything after one bad pair).
    The first occurrence of a name wins, as browsers send the most specific first.
    """
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, sep, value = pair.partition("=")
        if not sep:
            continue
        name = name.strip()
        if not name or name in cookies:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


@functools.lru_cache(maxsize=64)
def _http_date(seconds: int) -> str:
    # PERF: cookies renewed on every response share the same few seconds.
    return format_datetime(_dt.datetime.fromtimestamp(seconds, tz=_dt.UTC), usegmt=True)


@dataclass(slots=True)
class Cookie:
    """One cookie to send; ``header_value()`` renders its Set-Cookie line."""

    name: str
    value: str
    path: str | None = "/"
    domain: str | None = None
    max_age: int | None = None
    expires: _dt.datetime | float | None = None
    secure: bool = False
    httponly: bool = True
    samesite: str | None = "Lax"
    partitioned: bool = False

    def __post_init__(self) -> None:
        if not _NAME_OK.fullmatch(self.name):
            raise ValueError(f"invalid cookie name {self.name!r}")
        if not _VALUE_OK.fullmatch(self.value):
            raise ValueError(
                f"invalid characters in the value of cookie {self.name!r}; "
                "encode it (for example with base64url) before setting it"
            )
        if self.samesite is not None:
            normalised = _SAMESITE.get(self.samesite.lower())
            if normalised is None:
                raise ValueError(f"samesite must be Strict, Lax or None, not {self.samesite!r}")
            self.samesite = normalised
            if normalised == "None" and not self.secure:
                # Browsers reject SameSite=None without Secure.
                raise ValueError("a SameSite=None cookie must also be Secure")
        for attr in (self.path, self.domain):
            if attr is not None and (";" in attr or "\n" in attr or "\r" in attr):
                raise ValueError(f"invalid cookie attribute {attr!r}")

    def header_value(self) -> str:
        parts = [f"{self.name}={self.value}"]
        if self.path:
            parts.append(f"Path={self.path}")
        if self.domain:
            parts.append(f"Domain={self.domain}")
        if self.max_age is not None:
            parts.append(f"Max-Age={int(self.max_age)}")
        if self.expires is not None:
            when = self.expires
            if isinstance(when, _dt.datetime):
                if when.tzinfo is None:
                    when = when.replace(tzinfo=_dt.UTC)
                seconds = int(when.timestamp())
            else:
                seconds = int(when)
            parts.append("Expires=" + _http_date(seconds))
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite:
            parts.append(f"SameSite={self.samesite}")
        if self.partitioned:
            parts.append("Partitioned")
        return "; ".join(parts)
