"""``tools.cors.*``: the options, checked when the app starts."""

from __future__ import annotations

from collections.abc import Callable

import pegboard
from pegboard.httputil import is_token

from .origins import ANY, normalise_origin

__all__ = ["DEFAULT_METHODS", "CorsOptions"]

#: the CORS-safelisted methods: a browser sends them without a preflight
DEFAULT_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST")
#: Chromium keeps a preflight's answer at most this long, whatever Max-Age says
CHROMIUM_MAX_AGE = 7200


def _tokens(key: str, values: list[str], what: str) -> list[str]:
    for value in values:
        if value != ANY and not is_token(value):
            raise pegboard.OptionError(key, f"{value!r} is not {what}")
    return values


class CorsOptions(pegboard.ToolOptions):
    """The options of ``tools.cors``: who may read this path's responses, and how."""

    origins: list[str] = pegboard.option(
        default_factory=list,
        doc="the origins allowed to read responses: exact (`https://app.example`), patterns "
        "(`https://*.example.com`, `http://localhost:*`) or `*` for any origin",
    )
    origin_check: Callable[[str], bool] | None = pegboard.option(
        default=None,
        doc="`origin_check(origin) -> bool` for origins the list does not allow "
        "(an import string in a config file)",
    )
    methods: list[str] = pegboard.option(
        default_factory=lambda: list(DEFAULT_METHODS),
        doc="the methods a preflight allows (`*`: any)",
    )
    headers: list[str] = pegboard.option(
        default_factory=list,
        doc="request headers a preflight allows beyond Accept, Accept-Language, "
        "Content-Language and Content-Type (`*`: whatever the preflight asks for)",
    )
    expose_headers: list[str] = pegboard.option(
        default_factory=list,
        doc="response headers scripts may read beyond the CORS-safelisted ones",
    )
    credentials: bool = pegboard.option(
        default=False,
        doc="let allowed origins send cookies and HTTP auth and read the answer (never with `*`)",
    )
    max_age: int | None = pegboard.option(
        default=600,
        doc="how long a browser may reuse a preflight's answer (none: no header, "
        "browsers keep it 5 seconds)",
        unit="seconds",
    )
    private_network: bool = pegboard.option(
        default=False,
        doc="answer private network access preflights "
        "(`Access-Control-Request-Private-Network`) with consent; refused otherwise",
    )

    def __post_init__(self) -> None:
        for origin in self.origins:
            if origin.strip() != ANY:
                try:
                    normalise_origin(origin)
                except ValueError as exc:
                    raise pegboard.OptionError("origins", str(exc)) from None
        if self.credentials and any(o.strip() == ANY for o in self.origins):
            raise pegboard.OptionError(
                "credentials",
                "credentials cannot go with the origin '*' (the Fetch standard refuses it, and "
                "it would hand every site the user's data): list the origins instead",
            )
        _tokens("methods", self.methods, "a method name")
        _tokens("headers", self.headers, "a header name")
        _tokens("expose_headers", self.expose_headers, "a header name")
        if self.credentials and ANY in self.expose_headers:
            raise pegboard.OptionError(
                "expose_headers",
                "with credentials, '*' is taken literally by browsers: list the header names",
            )
        if self.max_age is not None and self.max_age < 0:
            raise pegboard.OptionError("max_age", f"must not be negative, not {self.max_age}")
