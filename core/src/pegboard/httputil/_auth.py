"""Authorization credentials (RFC 9110 §11): a scheme, then a token68 or auth-params."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from ._fields import HeaderError, _shorten

__all__ = ["Credentials", "parse_auth_params", "parse_authorization"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
# One auth-param and the separator after it (or the end): BWS "=" BWS, OWS "," OWS.
_ITEM = re.compile(rf"({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})[ \t]*(?:,[ \t,]*|\Z)")
_LEADING = re.compile(r"[ \t,]*")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*").fullmatch
_SCHEME = re.compile(_TOKEN).fullmatch


class Credentials(NamedTuple):
    """An Authorization (or Proxy-Authorization) value: lower-cased scheme, then one of two forms.

    ``token68`` holds the single token of schemes such as Basic and Bearer;
    ``params`` the auth-params of schemes such as Digest (names lower-cased,
    quoted values unquoted). The other one is None / empty.
    """

    scheme: str
    token68: str | None
    params: Mapping[str, str]


def parse_auth_params(text: str) -> dict[str, str]:
    """``{name: value}`` of a comma-separated auth-param list (``realm="x", qop=auth``).

    Names are lower-cased and quoted values unquoted; empty list members are
    allowed. A repeated name (RFC 9110 §11.2) or anything that is not
    ``name=value`` is a HeaderError.
    """
    params: dict[str, str] = {}
    leading = _LEADING.match(text)
    position, end = (leading.end() if leading else 0), len(text)
    while position < end:
        match = _ITEM.match(text, position)
        if match is None:
            raise HeaderError(
                f"{_shorten(text)} is not a list of name=value at character {position}"
            )
        name, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = value[1:-1]
            if "\\" in value:  # PERF: escapes are rare; no regex pass without them
                value = _UNESCAPE.sub(r"\1", value)
        if name in params:
            raise HeaderError(f"the parameter {name!r} appears twice")
        params[name] = value
        position = match.end()
    return params


def parse_authorization(value: str) -> Credentials:
    """Split an Authorization value into its scheme and its token68 or auth-params.

    ``Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`` gives scheme ``basic`` and that
    token68. A value that is neither form is a HeaderError (answer 400, or
    401 with a challenge, as the scheme asks).
    """
    scheme, _, rest = value.strip(" \t").partition(" ")  # credentials = scheme [ 1*SP ... ]
    if _SCHEME(scheme) is None:
        raise HeaderError(f"{_shorten(value)} is not an auth-scheme followed by credentials")
    scheme, rest = scheme.lower(), rest.lstrip(" ")
    if not rest:
        return Credentials(scheme, None, {})
    if _TOKEN68(rest) is not None:
        return Credentials(scheme, rest, {})
    return Credentials(scheme, None, parse_auth_params(rest))
