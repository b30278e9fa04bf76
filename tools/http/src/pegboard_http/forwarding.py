"""Parsing what reverse proxies write: RFC 7239 ``Forwarded`` and the ``X-Forwarded-*`` headers.

Every function takes header values as the WSGI server hands them over and
either returns what it read or raises :class:`pegboard.httputil.HeaderError`
(a ValueError) saying which part is malformed; the proxy tool answers that
with 400. Nothing else is raised, whatever the input (``fuzz/`` holds the
harnesses that check it).

Lists are read **from the right**, the end the nearest proxy wrote:
:func:`rightmost` splits off at most the entries a caller asks for, so what
a client wrote further left is never interpreted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pegboard.httputil as httputil
from pegboard.httputil import HeaderError

from ._config import parse_ip

__all__ = [
    "ForwardedElement",
    "forwarded_elements",
    "parse_forwarded",
    "parse_forwarded_element",
    "parse_host",
    "parse_node",
    "parse_proto",
    "rightmost",
    "rightmost_elements",
]

# A host name (RFC 3986 reg-name without percent-encoding) or a bracketed IP
# literal, then an optional port of ASCII digits. No userinfo, path or query.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::([0-9]{1,5}))?").fullmatch
_PORT = re.compile(r"[0-9]{1,5}").fullmatch
_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]+").fullmatch
_SCHEMES = frozenset({"http", "https"})
_OWS = " \t"


@dataclass(frozen=True, slots=True)
class ForwardedElement:
    """One element of a ``Forwarded`` header: what one proxy saw (values unquoted)."""

    for_: str | None = None
    by: str | None = None
    host: str | None = None
    proto: str | None = None


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "...")


def rightmost(value: str, count: int) -> list[str]:
    """The last ``count`` (at most) non-empty members of a comma list, nearest proxy last.

    Members are stripped of spaces and tabs; empty members (``a,,b``) do not
    count, as RFC 9110 §5.6.1 says. Quotes are not interpreted: the
    ``X-Forwarded-*`` headers hold none, and a client's cannot shift ours.
    """
    if count == 1:
        # PERF: the usual case (one proxy): the text after the last comma.
        last = value.rpartition(",")[2].strip(_OWS)
        if last:
            return [last]
    # PERF: one split from the right is enough when no member is empty, the usual case.
    pieces = value.rsplit(",", count)
    members = [m for m in (p.strip(_OWS) for p in pieces[-count:]) if m]
    if len(members) == count or len(pieces) <= count:
        return members
    members = [m for m in (p.strip(_OWS) for p in value.split(",")) if m]
    return members[-count:]


@functools.lru_cache(maxsize=4096)  # PERF: proxies repeat the same few nodes
def parse_node(text: str, header: str = "X-Forwarded-For") -> tuple[str, int | None]:
    """A node (``ip``, ``ip:port``, ``[v6]:port``, ``unknown``, ``_hidden``) as (ip, port).

    The port is None unless an ASCII decimal port from 1 to 65535 is given
    (an obfuscated ``_port`` gives None). The address is normalised
    (``::ffff:1.2.3.4`` becomes ``1.2.3.4``). HeaderError names ``header``.
    """
    text = text.strip(_OWS)
    if text.lower() == "unknown" or _OBFUSCATED(text):
        return text, None
    port_text = ""
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise HeaderError(f"{header} has a malformed address {_short(text)}")
        port_text = rest[1:]
        if rest and not port_text:
            raise HeaderError(f"{header} has a malformed port in {_short(text)}")
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
        if not port_text:
            raise HeaderError(f"{header} has a malformed port in {_short(text)}")
    else:
        address = text
    ip = parse_ip(address)
    if ip is None:
        raise HeaderError(f"{header} has {_short(text)}, which is not an IP address")
    port = None
    if port_text and not _OBFUSCATED(port_text):
        if _PORT(port_text) is None or not 0 < int(port_text) < 65536:
            raise HeaderError(f"{header} has a malformed port in {_short(text)}")
        port = int(port_text)
    return str(ip), port


def parse_proto(value: str, header: str = "X-Forwarded-Proto") -> str:
    """``http`` or ``https`` from a proto value (``X-Forwarded-Ssl``: on/off); else HeaderError."""
    proto = value.strip(_OWS).lower()
    if proto in _SCHEMES:
        return proto  # PERF: the usual answer, before the X-Forwarded-Ssl forms
    if "ssl" in header.lower() and proto in ("on", "off"):
        return "https" if proto == "on" else "http"
    if proto not in _SCHEMES:
        raise HeaderError(f"{header} must be http or https, not {_short(value.strip(_OWS))}")
    return proto


def parse_host(value: str, header: str = "X-Forwarded-Host") -> tuple[str | None, str]:
    """``(scheme or None, host[:port])`` from a forwarded host (``https://`` prefix allowed).

    A host with a path, userinfo, a port outside 1-65535 or characters no
    host name has is a HeaderError.
    """
    value = value.strip(_OWS)
    scheme = None
    if "://" in value:
        scheme, _, value = value.partition("://")
        scheme = parse_proto(scheme, header)
    match = _HOST(value)
    if match is None:
        raise HeaderError(f"{header} has a malformed host {_short(value)}")
    port = match.group(1)
    if port is not None and not 0 < int(port) < 65536:
        raise HeaderError(f"{header} has a malformed port in {_short(value)}")
    return scheme, value


def parse_forwarded_element(element: str) -> ForwardedElement:
    """One ``Forwarded`` element, ``for=...;proto=...``: each pair once, values unquoted.

    Unknown parameters are allowed (RFC 7239 §5.5) and ignored; a pair that
    is not ``token=token`` or ``token="quoted"``, a repeated name or an empty
    element is a HeaderError.
    """
    pairs: dict[str, str] = {}
    try:
        members = httputil.split_list(element, ";")
    except HeaderError as exc:
        raise HeaderError(f"Forwarded has a malformed element: {exc}") from None
    for pair in members:
        name, eq, raw = pair.partition("=")
        name, raw = name.strip(_OWS).lower(), raw.strip(_OWS)
        if not eq or not httputil.is_token(name) or not raw:
            raise HeaderError(f"Forwarded has a malformed pair {_short(pair)}")
        if raw.startswith('"'):
            try:
                value = httputil.unquote_string(raw)
            except HeaderError as exc:
                raise HeaderError(f"Forwarded has a malformed value: {exc}") from None
        elif httputil.is_token(raw):
            value = raw
        else:
            raise HeaderError(f"Forwarded has a value that needs quoting: {_short(raw)}")
        if name in pairs:
            raise HeaderError(f"Forwarded repeats {name!r} in one element")
        pairs[name] = value
    if not pairs:
        raise HeaderError("Forwarded has an empty element")
    return ForwardedElement(
        pairs.get("for"), pairs.get("by"), pairs.get("host"), pairs.get("proto")
    )


def rightmost_elements(value: str, count: int) -> list[str]:
    """The last ``count`` (at most) elements of a ``Forwarded`` header, unparsed, nearest last.

    The header is scanned from the right, so quoted strings are paired from
    the end the proxies wrote: a client's malformed element on the left (an
    unterminated quoted string, say) cannot swallow or split a proxy's, and
    once ``count`` elements are found nothing further left is looked at. An
    unterminated quoted string among the elements read is a HeaderError.
    """
    if '"' not in value:
        return rightmost(value, count)  # PERF: no quoted string, the usual case
    members: list[str] = []
    end = len(value)
    quoted = False
    index = end - 1
    while index >= 0:
        char = value[index]
        if char == '"':
            backslashes = 0
            while index - backslashes - 1 >= 0 and value[index - backslashes - 1] == "\\":
                backslashes += 1
            if not (quoted and backslashes % 2):  # an escaped quote inside a quoted string
                quoted = not quoted
        elif char == "," and not quoted:
            member = value[index + 1 : end].strip(_OWS)
            if member:
                members.append(member)
                if len(members) == count:
                    return members[::-1]
            end = index
        index -= 1
    if quoted:
        raise HeaderError(f"Forwarded has an unterminated quoted string in {_short(value)}")
    member = value[:end].strip(_OWS)
    if member:
        members.append(member)
    return members[::-1]


def forwarded_elements(value: str) -> list[str]:
    """The elements of a ``Forwarded`` header, unparsed, nearest proxy last.

    The split honours quoted strings, so that a comma inside a client's quoted
    value cannot split a proxy's element; an unterminated one is a HeaderError.
    """
    try:
        return httputil.split_list(value)
    except HeaderError as exc:
        raise HeaderError(f"Forwarded has {exc}") from None


def parse_forwarded(value: str) -> list[ForwardedElement]:
    """Every element of a ``Forwarded`` header, nearest proxy last (each one checked)."""
    return [parse_forwarded_element(element) for element in forwarded_elements(value)]
