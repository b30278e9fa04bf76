"""Field grammar shared by every header (RFC 9110 §5.5-5.6): tokens, quoting, lists, parameters."""

from __future__ import annotations

import re

__all__ = [
    "HeaderError",
    "check_field_value",
    "is_token",
    "is_valid_field_value",
    "parse_field_names",
    "parse_parameters",
    "quote_if_needed",
    "quote_string",
    "split_list",
    "unquote_string",
]


class HeaderError(ValueError):
    """A header value that does not follow its grammar; the message says which part.

    The only exception :mod:`pegboard.httputil` raises for a bad input string.
    A tool answers it with 400 (or ignores the header, where the RFC says so).
    """


HeaderError.__module__ = "pegboard.httputil"  # where users import it from; tracebacks say so


_TCHAR = "!#$%&'*+\\-.^_`|~0-9A-Za-z"
_TOKEN = re.compile(f"[{_TCHAR}]+").fullmatch
# qdtext and quoted-pair octets: HTAB, SP, visible ASCII and obs-text, never other controls.
_QUOTABLE = re.compile(r"[\t\x20-\x7e\x80-\xff]*").fullmatch
_QUOTED = re.compile(r'"((?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*)"')
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_ESCAPE = re.compile(r'(["\\])')
# CR, LF and NUL are "invalid and dangerous" in a field value (RFC 9110 §5.5).
_DANGEROUS = re.compile(r"[\r\n\x00]").search
_OWS = " \t"
# One parameter: OWS ";" OWS name "=" (token / quoted-string), anchored at a position.
_PARAMETER = re.compile(
    rf"[ \t]*;[ \t]*(?:([{_TCHAR}]+)[ \t]*=[ \t]*([{_TCHAR}]+|{_QUOTED.pattern})[ \t]*)?"
)


def is_token(text: str) -> bool:
    """Whether ``text`` is an RFC 9110 token (a field name, a coding, a parameter name)."""
    return _TOKEN(text) is not None


def is_valid_field_value(value: str) -> bool:
    """Whether ``value`` may go in a header: no CR, LF or NUL (RFC 9110 §5.5)."""
    return _DANGEROUS(value) is None


def check_field_value(value: str) -> str:
    """``value`` unchanged if it may go in a header; HeaderError if it holds CR, LF or NUL."""
    if _DANGEROUS(value) is not None:
        raise HeaderError("a header value cannot contain CR, LF or NUL")
    return value


def quote_string(text: str) -> str:
    """``text`` as a quoted-string, ``"`` and ``\\`` escaped; HeaderError for control characters."""
    if _QUOTABLE(text) is None:
        raise HeaderError("a quoted-string cannot hold control characters other than tab")
    return '"' + _NEEDS_ESCAPE.sub(r"\\\1", text) + '"'


def quote_if_needed(text: str) -> str:
    """``text`` as it is when it is a token, else as a quoted-string (for parameter values)."""
    if _TOKEN(text) is not None:
        return text
    return quote_string(text)


def unquote_string(text: str) -> str:
    """The content of a quoted-string, escapes undone; a text that is not quoted is returned as is.

    A text that starts with ``"`` but is not one well-formed quoted-string is a HeaderError.
    """
    if not text.startswith('"'):
        return text
    match = _QUOTED.fullmatch(text)
    if match is None:
        raise HeaderError(f"{_shorten(text)} is not a well-formed quoted-string")
    inner = match.group(1)
    return _UNESCAPE.sub(r"\1", inner) if "\\" in inner else inner


def split_list(value: str, separator: str = ",") -> list[str]:
    """The members of a list header, split on ``separator`` outside quoted strings.

    Members are stripped of spaces and tabs; empty members are dropped, as RFC
    9110 §5.6.1 asks. An unterminated quoted string is a HeaderError.
    """
    if '"' not in value:
        # PERF: most list headers hold no quoted string; str.split does the work.
        return [
            member for member in (part.strip(_OWS) for part in value.split(separator)) if member
        ]
    members: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == separator:
            members.append(value[start:index])
            start = index + 1
    if quoted:
        raise HeaderError(f"{_shorten(value)} has an unterminated quoted string")
    members.append(value[start:])
    return [member for member in (part.strip(_OWS) for part in members) if member]


def parse_parameters(text: str) -> tuple[tuple[str, str], ...]:
    """``; name=value`` pairs (names lower-cased, quoted values unquoted), in order.

    ``text`` is what follows the main value, e.g. ``"; charset=utf-8"``; empty
    parameters (``;;``) are allowed. Anything else is a HeaderError.
    """
    params: list[tuple[str, str]] = []
    position, end = 0, len(text.rstrip(_OWS))
    while position < end:
        match = _PARAMETER.match(text, position)
        if match is None or match.end() == position:
            raise HeaderError(f"{_shorten(text)} has a malformed parameter at character {position}")
        name = match.group(1)
        if name is not None:
            value = match.group(2)
            if value.startswith('"'):
                value = match.group(3)
                if "\\" in value:
                    value = _UNESCAPE.sub(r"\1", value)
            params.append((name.lower(), value))
        position = match.end()
    return tuple(params)


def parse_field_names(value: str) -> tuple[str, ...]:
    """Lower-cased field names of a list such as ``Vary`` or ``Connection``, each once, in order.

    Members that are not tokens are skipped; ``*`` is a token, so ``Vary: *``
    gives ``("*",)``.
    """
    seen: dict[str, None] = {}
    for member in value.split(","):
        name = member.strip(_OWS)
        if name and _TOKEN(name) is not None:
            seen.setdefault(name.lower(), None)
    return tuple(seen)


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` for an error message, cut so that a huge header does not flood the log."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
