"""Reading the Cookie header and writing Set-Cookie values (RFC 6265)."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

__all__ = ["Cookie", "parse_cookie_header"]

_NAME_OK = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash
_VALUE_OK = re.compile(r"^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
#: (name, path, domain, samesite as given, secure) -> samesite normalised, for the
#: combinations that passed Cookie's checks; emptied when full
_CHECKED: dict[tuple[str, str | None, str | None, str | None, bool], str | None] = {}
_CHECKED_SIZE = 256
_new_cookie = object.__new__  # PERF: Cookie.trusted() skips __init__ and its checks
_UNCHECKED: Any = object()


def _bad_value(name: str) -> str:
    return (
        f"invalid characters in the value of cookie {name!r}; "
        "encode it (for example with base64url) before setting it"
    )


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse ``Cookie: a=1; b="2"`` into ``{"a": "1", "b": "2"}``.

    Lenient on purpose: a malformed pair is skipped, never the whole header
    (the standard library's SimpleCookie drops everything after one bad pair).
    The first occurrence of a name wins, as browsers send the most specific first.
    """
    if ";" not in header:
        # PERF: one cookie (a site whose only cookie is its session's): no list, no loop.
        name, sep, value = header.partition("=")
        name = name.strip()
        if not sep or not name:
            return {}
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        return {name: value}
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


#: PERF: cookies renewed on every response share the same few seconds: their dates
#: kept (a dict read inline is cheaper than a call of an lru_cache); emptied when full.
_DATES: dict[int, str] = {}
_DATES_SIZE = 64


def _http_date(seconds: int) -> str:
    date = _DATES.get(seconds)
    if date is None:
        date = format_datetime(_dt.datetime.fromtimestamp(seconds, tz=_dt.UTC), usegmt=True)
        if len(_DATES) >= _DATES_SIZE:
            _DATES.clear()
        _DATES[seconds] = date
    return date


@dataclass(slots=True, init=False)
class Cookie:
    """One cookie to send; ``header_value()`` renders its Set-Cookie line."""

    name: str
    value: str
    path: str | None
    domain: str | None
    max_age: int | None
    expires: _dt.datetime | float | None
    secure: bool
    httponly: bool
    samesite: str | None
    partitioned: bool

    def __init__(
        self,
        name: str,
        value: str,
        path: str | None = "/",
        domain: str | None = None,
        max_age: int | None = None,
        expires: _dt.datetime | float | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        # PERF: written out rather than generated with a __post_init__: one call less on
        # every response that sets a cookie (a renewed session's).
        self.name = name
        self.value = value
        self.path = path
        self.domain = domain
        self.max_age = max_age
        self.expires = expires
        self.secure = secure
        self.httponly = httponly
        self.partitioned = partitioned
        # A site sets few kinds of cookie (a session's, a CSRF token's), the same
        # attributes on every response; a combination that passed is not checked again.
        key = (name, path, domain, samesite, secure)
        checked = _CHECKED.get(key, _UNCHECKED)
        if checked is _UNCHECKED:
            self.samesite = samesite
            self._check()
            if len(_CHECKED) >= _CHECKED_SIZE:
                _CHECKED.clear()
            _CHECKED[key] = self.samesite
        else:
            self.samesite = checked
            if not _VALUE_OK.fullmatch(value):
                raise ValueError(_bad_value(name))

    @classmethod
    def trusted(
        cls,
        name: str,
        value: str,
        path: str | None = "/",
        domain: str | None = None,
        max_age: int | None = None,
        expires: _dt.datetime | float | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> Cookie:
        """A cookie built without the checks of ``Cookie(...)``, from parts already checked.

        PERF: for a tool's own cookie on every response (the session's): its
        name and attributes checked when its options were read, ``samesite``
        one of ``"Strict"``, ``"Lax"``, ``"None"`` (with ``secure``) or None,
        its value made by the tool or checked against a stricter pattern.
        Never for text from a client or a handler: nothing stops a ``;`` or a
        line break here.
        """
        cookie = _new_cookie(cls)
        cookie.name = name
        cookie.value = value
        cookie.path = path
        cookie.domain = domain
        cookie.max_age = max_age
        cookie.expires = expires
        cookie.secure = secure
        cookie.httponly = httponly
        cookie.samesite = samesite
        cookie.partitioned = partitioned
        return cookie

    def _check(self) -> None:
        if not _NAME_OK.fullmatch(self.name):
            raise ValueError(f"invalid cookie name {self.name!r}")
        if not _VALUE_OK.fullmatch(self.value):
            raise ValueError(_bad_value(self.name))
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
        # PERF: every renewed session cookie is rendered on its response. The
        # attributes around Max-Age and Expires are the same on every response of a
        # kind of cookie: rendered once per combination; the date cached per second;
        # the line built in one f-string.
        key = (self.path, self.domain, self.secure, self.httponly, self.samesite, self.partitioned)
        parts = _RENDERED.get(key)
        if parts is None:
            parts = _render_attributes(key)
        head, tail = parts
        max_age = self.max_age
        when = self.expires
        if type(max_age) is int and type(when) is int:
            # PERF: a renewed session cookie's pair of lifetimes, in one f-string.
            date = _DATES.get(when) or _http_date(when)
            return f"{self.name}={self.value}{head}; Max-Age={max_age}; Expires={date}{tail}"
        if max_age is not None:
            head = f"{head}; Max-Age={max_age if type(max_age) is int else int(max_age)}"
        if when is None:
            return f"{self.name}={self.value}{head}{tail}"
        if type(when) is not int:
            if isinstance(when, _dt.datetime):
                if when.tzinfo is None:
                    when = when.replace(tzinfo=_dt.UTC)
                when = when.timestamp()
            when = int(when)
        return f"{self.name}={self.value}{head}; Expires={_http_date(when)}{tail}"


_AttributeKey = tuple[str | None, str | None, bool, bool, str | None, bool]
#: (path, domain, secure, httponly, samesite, partitioned) -> the attributes before
#: Max-Age and those after Expires, rendered; emptied when full
_RENDERED: dict[_AttributeKey, tuple[str, str]] = {}


def _render_attributes(key: _AttributeKey) -> tuple[str, str]:
    path, domain, secure, httponly, samesite, partitioned = key
    head = ""
    if path:
        head += f"; Path={path}"
    if domain:
        head += f"; Domain={domain}"
    tail = ""
    if secure:
        tail += "; Secure"
    if httponly:
        tail += "; HttpOnly"
    if samesite:
        tail += f"; SameSite={samesite}"
    if partitioned:
        tail += "; Partitioned"
    if len(_RENDERED) >= _CHECKED_SIZE:
        _RENDERED.clear()
    _RENDERED[key] = (head, tail)
    return head, tail
