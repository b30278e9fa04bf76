"""``tools.csrf.*``: the options, checked when the app starts."""

from __future__ import annotations

import re
from typing import Literal

import pegboard
from pegboard.httputil import is_token

__all__ = ["SESSION_KEY", "CsrfOptions", "normalise_origin"]

#: the session entry that holds the session's token; session_auth's forms use the same
SESSION_KEY = "_pegboard_csrf_token"
#: a secret shorter than this is refused (256 bits as base64url is 43 characters)
MIN_SECRET_LENGTH = 32

_ORIGIN = re.compile(r"([a-z][a-z0-9+.\-]*)://(\[[0-9a-f:.]+\]|[a-z0-9\-._~%]+)(?::([0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")


def normalise_origin(text: str) -> str:
    """``text`` as a browser writes an origin (lower case, no default port); ValueError if none."""
    value = text.strip().lower()
    match = _ORIGIN.fullmatch(value)
    if match is None or value == "null":
        raise ValueError(
            f"{text!r} is not an origin like 'https://app.example' (scheme://host[:port], "
            "nothing after it)"
        )
    scheme, host, port = match.groups()
    if port is None or _DEFAULT_PORTS.get(scheme) == str(int(port)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


class CsrfOptions(pegboard.ToolOptions):
    """The options of ``tools.csrf``: who may send unsafe requests, and the token fallback."""

    trusted_origins: list[str] = pegboard.option(
        default_factory=list,
        doc="other origins whose pages may send unsafe requests here "
        "(`https://app.example`, exact)",
    )
    fallback: Literal["token", "allow", "deny"] = pegboard.option(
        default="token",
        doc="for a request with neither Sec-Fetch-Site nor Origin: check the token, let it "
        "through (clients that are no browser) or refuse it",
    )
    field: str = pegboard.option(default="csrf_token", doc="the form field that carries the token")
    header: str = pegboard.option(
        default="X-CSRF-Token", doc="the request header that may carry it instead (scripts)"
    )
    session_key: str = pegboard.option(
        default=SESSION_KEY,
        doc="where the token's secret lives in the session, where sessions are on",
    )
    cookie_name: str = pegboard.option(
        default="csrf",
        doc="the double-submit cookie where sessions are off (`__Host-` is put before it "
        "over HTTPS)",
    )
    cookie_max_age: int | None = pegboard.option(
        default=31_536_000,
        doc="how long the double-submit cookie lasts (none: until the browser closes)",
        unit="seconds",
    )
    secret: str | None = pegboard.option(
        default=None,
        doc=f"signs the double-submit cookie (at least {MIN_SECRET_LENGTH} characters; none: "
        "a random key per process)",
    )

    def __post_init__(self) -> None:
        for origin in self.trusted_origins:
            try:
                normalise_origin(origin)
            except ValueError as exc:
                raise pegboard.OptionError("trusted_origins", str(exc)) from None
        if not self.field or "\x00" in self.field:
            raise pegboard.OptionError("field", "the form field needs a name")
        if not is_token(self.header):
            raise pegboard.OptionError("header", f"{self.header!r} is not a header name")
        if not self.session_key:
            raise pegboard.OptionError("session_key", "the session entry needs a name")
        if not _COOKIE_NAME.fullmatch(self.cookie_name):
            raise pegboard.OptionError("cookie_name", f"{self.cookie_name!r} is not a cookie name")
        if self.cookie_max_age is not None and self.cookie_max_age <= 0:
            raise pegboard.OptionError(
                "cookie_max_age", f"must be more than 0, not {self.cookie_max_age}"
            )
        if self.secret is not None and len(self.secret) < MIN_SECRET_LENGTH:
            raise pegboard.OptionError(
                "secret",
                f"needs at least {MIN_SECRET_LENGTH} characters; make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
