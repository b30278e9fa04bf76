"""Parsing a ``Digest`` Authorization header into checked credentials (RFC 7616 3.4).

Anything that is not well-formed raises :class:`MalformedHeader`, which the
tool answers with 400; the parser never raises anything else, whatever the
input (a property the tests fuzz).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["DigestCredentials", "MalformedHeader", "parse_auth_params", "parse_credentials"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
# One auth-param with the whitespace around it: name = token / quoted-string.
_PARAM = re.compile(rf"[ \t]*({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})[ \t]*")
# PERF: the same with the separator that must follow it (or the end): one match per item.
_ITEM = re.compile(rf"({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})[ \t]*(?:,[ \t,]*|\Z)")
_LEADING = re.compile(r"[ \t,]*")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
# Control characters other than HTAB are never valid in a parameter value (RFC 7230).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search
_NC = re.compile(r"[0-9a-fA-F]{8}").fullmatch
_EXT_VALUE = re.compile(r"([!#$%&+\-^_`{}~0-9A-Za-z]+)'[^']*'(.*)", re.DOTALL).fullmatch
_REQUIRED = ("realm", "nonce", "uri", "response", "qop", "nc", "cnonce")


class MalformedHeader(ValueError):
    """The Digest credentials are not well-formed; the message says what is wrong."""


def parse_auth_params(text: str) -> dict[str, str]:
    """``{name: value}`` (names lower-cased, quoted-strings unescaped) of a comma list.

    Empty list elements are allowed (RFC 7230 section 7); a repeated name,
    or anything that is not ``name=value``, is MalformedHeader.
    """
    # PERF: one scan of the whole text instead of one per value.
    if _CONTROL(text):
        raise MalformedHeader("the header contains control characters")
    params: dict[str, str] = {}
    leading = _LEADING.match(text)
    position, end = (leading.end() if leading else 0), len(text)
    while position < end:
        match = _ITEM.match(text, position)
        if match is None:
            raise MalformedHeader(_where_it_breaks(text, position))
        name, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = value[1:-1]
            if "\\" in value:  # PERF: escapes are rare; skip the regex without them
                value = _UNESCAPE.sub(r"\1", value)
        if name in params:
            raise MalformedHeader(f"the parameter {name!r} appears twice")
        params[name] = value
        position = match.end()
    return params


def _where_it_breaks(text: str, position: int) -> str:
    """The error message for a list that stops parsing at ``position`` (error path only)."""
    param = _PARAM.match(text, position)
    if param is not None:
        return f"expected ',' at character {param.end()}"
    return f"expected name=value at character {position}"


def _wire_text(value: str) -> str:
    """A header value's characters as the client meant them: UTF-8, else Latin-1.

    WSGI servers hand header bytes over as Latin-1 characters; clients send
    UTF-8 (the challenge asks for it), older ones Latin-1.
    """
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return unicodedata.normalize("NFC", value)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = value
    return unicodedata.normalize("NFC", text)


def _extended_username(value: str) -> str:
    """The value of ``username*`` (RFC 5987: ``UTF-8''percent-encoded``)."""
    match = _EXT_VALUE(value)
    if match is None or match.group(1).lower() != "utf-8":
        raise MalformedHeader("username* must look like UTF-8''percent-encoded-name")
    try:
        return unicodedata.normalize("NFC", unquote_to_bytes(match.group(2)).decode("utf-8"))
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise MalformedHeader("username* is not percent-encoded UTF-8") from None


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """The parameters of a Digest Authorization header, checked for form only."""

    username: str  # the user's name, or the userhash when ``userhash`` is true
    userhash: bool
    realm: str
    nonce: str
    uri: str
    response: str  # lower-cased
    algorithm: str
    qop: str
    nc: str  # eight hex digits, as sent (it goes into the digest verbatim)
    nc_value: int
    cnonce: str


def parse_credentials(text: str) -> DigestCredentials:
    """DigestCredentials from what follows ``Digest`` in the header; MalformedHeader if broken."""
    params = parse_auth_params(text)
    missing = [name for name in _REQUIRED if name not in params]
    if "username" not in params and "username*" not in params:
        missing.insert(0, "username")
    if missing:
        raise MalformedHeader(f"the parameter {missing[0]!r} is missing")
    if "username" in params and "username*" in params:
        raise MalformedHeader("send username or username*, not both")
    userhash_flag = params.get("userhash", "false").lower()
    if userhash_flag not in ("true", "false"):
        raise MalformedHeader("userhash is true or false")
    if "username*" in params:
        if userhash_flag == "true":
            raise MalformedHeader("username* cannot carry a userhash")
        username = _extended_username(params["username*"])
    else:
        username = _wire_text(params["username"])
    nc = params["nc"]
    if not _NC(nc):
        raise MalformedHeader("nc is eight hexadecimal digits")
    nc_value = int(nc, 16)
    if nc_value == 0:
        raise MalformedHeader("nc counts requests from 00000001")
    if not params["cnonce"]:
        raise MalformedHeader("cnonce is empty")
    return DigestCredentials(
        username=username,
        userhash=userhash_flag == "true",
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"].lower(),
        algorithm=params.get("algorithm", "MD5"),
        qop=params["qop"].lower(),
        nc=nc,
        nc_value=nc_value,
        cnonce=params["cnonce"],
    )
