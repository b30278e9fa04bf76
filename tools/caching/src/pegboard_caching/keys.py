"""Cache keys: one per URL (the record), one per variant, and the helper keys.

A record key is ``{key_prefix}{target} {origin}``. ``target`` is the request
target (path and query) as the client sent it, normalised only as RFC 3986
section 6.2.2 allows: percent-encoding hex digits upper-cased, percent-encoded
unreserved characters decoded. So equivalent URLs share an entry and
different ones never do.

Where the server gives the target as sent (``REQUEST_URI``, ``RAW_URI``) and
it agrees with ``SCRIPT_NAME``, ``PATH_INFO`` and ``QUERY_STRING``, it is
used. Otherwise (no raw target, or a middleware rewrote the path) the key is
built from what the application sees: the decoded path, percent-encoded again
so that the mapping is injective (``%`` itself becomes ``%25``). Both forms
never hold a space, so the origin after the space cannot blur into the target.

Characters a URI may not hold (a raw space, ``"``, a byte above 127, a ``%``
that starts no escape) are written ``%uXX``, never ``%XX``: a raw ``"`` and an
escaped ``%22`` are different targets, and keep different keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = [
    "environ_key",
    "lock_key",
    "origin_of",
    "prefix_forms",
    "record_key",
    "request_key",
    "tag_key",
    "target_forms",
    "variant_key",
    "vary_values",
]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# What a path segment may hold literally (RFC 3986 pchar, without pct-encoded), and "/".
_PATH_CHARS = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
# A query also holds "?" literally.
_QUERY_CHARS = _PATH_CHARS + "?"
# An escape already in normal form: upper-case digits, an octet that is not unreserved.
_NORMAL_ESCAPE = r"%(?:[0189A-F][0-9A-F]|2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF])"
_PLAIN_PATH = re.compile(f"[{_PATH_CHARS}]*").fullmatch
_PLAIN_ABSOLUTE = re.compile(f"/[{_PATH_CHARS}]*").fullmatch
_NORMAL_PATH = re.compile(f"(?:[{_PATH_CHARS}]++|{_NORMAL_ESCAPE})*+").fullmatch
_NORMAL_QUERY = re.compile(f"(?:[{_QUERY_CHARS}]++|{_NORMAL_ESCAPE})*+").fullmatch
# PERF: the slow path (a target not in normal form) is a split into tokens and a
# table lookup per token, all in C: escapes and characters a URI may not hold map to
# their normal form, runs of literal characters to themselves.
_NORMAL_TOKENS = re.compile(f"%[0-9A-Fa-f]{{2}}|[{_QUERY_CHARS}]+|[\\s\\S]").findall
_DECODED_TOKENS = re.compile(f"[{_PATH_CHARS}]+|[\\s\\S]").findall
_ONE_PATH_CHAR = re.compile(f"[{_PATH_CHARS}]").fullmatch
_ONE_QUERY_CHAR = re.compile(f"[{_QUERY_CHARS}]").fullmatch
# An escape of an octet beyond ASCII.
_HIGH_ESCAPE = re.compile("%[89A-Fa-f][0-9A-Fa-f]")
# Split around characters beyond Latin-1: they are at the odd indexes.
_BEYOND_LATIN1 = re.compile("([^\x00-\xff])").split
_ENVIRON_KEYS: dict[str, str] = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def _tables() -> tuple[dict[str, str], dict[str, str]]:
    normal: dict[str, str] = {}
    encoded: dict[str, str] = {}
    for code in range(0x100):
        char, digits = chr(code), f"{code:02X}"
        for first in {digits[0], digits[0].lower()}:
            for second in {digits[1], digits[1].lower()}:
                # RFC 3986 section 6.2.2: an unreserved character is decoded,
                # any other escape gets upper-case digits.
                normal[f"%{first}{second}"] = char if char in _UNRESERVED else f"%{digits}"
        if _ONE_QUERY_CHAR(char) is None:
            normal[char] = f"%u{digits}"  # not allowed in a URI: kept apart from %XX
        if _ONE_PATH_CHAR(char) is None:
            encoded[char] = f"%{digits}"
    return normal, encoded


_NORMAL, _ENCODED = _tables()


def _beyond_latin1(char: str) -> str:
    return f"%U{ord(char):06X}"


def _normalise(raw: str) -> str:
    if not raw.isascii() and max(raw) > "\xff":
        # Not Latin-1, so not what PEP 3333 servers hand over: escape those characters too.
        return "".join(
            _beyond_latin1(part) if index % 2 else _normalise(part)
            for index, part in enumerate(_BEYOND_LATIN1(raw))
        )
    tokens = _NORMAL_TOKENS(raw)
    return "".join(map(_NORMAL.get, tokens, tokens))


def normalise_path(raw: str) -> str:
    """A path as sent, normalised as RFC 3986 section 6.2.2 allows (and no further)."""
    # PERF: most targets are in normal form already: one regex check and the string itself.
    return raw if _NORMAL_PATH(raw) else _normalise(raw)


def normalise_query(raw: str) -> str:
    """A query as sent, normalised as RFC 3986 section 6.2.2 allows (and no further)."""
    return raw if _NORMAL_QUERY(raw) else _normalise(raw)


def encode_path(decoded: str) -> str:
    """A decoded path (``PATH_INFO``: Latin-1 characters for bytes) in the same form, injectively.

    Every byte a path may not hold literally, ``%`` included, is ``%XX``; so
    two different decoded paths never give the same text.
    """
    if _PLAIN_PATH(decoded):
        return decoded
    if not decoded.isascii() and max(decoded) > "\xff":
        return "".join(
            _beyond_latin1(part) if index % 2 else encode_path(part)
            for index, part in enumerate(_BEYOND_LATIN1(decoded))
        )
    tokens = _DECODED_TOKENS(decoded)
    return "".join(map(_ENCODED.get, tokens, tokens))


def request_key(prefix: str, environ: Mapping[str, Any]) -> str | None:
    """The record key of the request in ``environ``: ``{prefix}{target} {origin}``.

    None when the path does not start with ``/`` (such a request is not cached).
    """
    # PERF: this runs on every hit, so the common cases are inline: a raw target that
    # is the environ's path and query, already in normal form; or no raw target and a
    # plain path.
    path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query: str = environ.get("QUERY_STRING", "")
    raw: str | None = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    target = None
    if raw:
        raw_path, mark, raw_query = raw.partition("?")
        if (
            raw_path == path
            and raw_query == query
            and _PLAIN_ABSOLUTE(raw_path) is not None
            and (not query or _NORMAL_QUERY(query) is not None)
        ):
            target = raw
        else:
            target = _raw_target(raw_path, mark, raw_query, path, query)
    if target is None:
        if _PLAIN_ABSOLUTE(path) is not None:
            target = path
        elif not path:
            target = "/"
        elif path[0] == "/":
            target = encode_path(path)
        else:
            return None
        if query:
            normal = query if _NORMAL_QUERY(query) is not None else _normalise(query)
            target = f"{target}?{normal}"
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return f"{prefix}{target} {environ.get('wsgi.url_scheme', 'http')}://{host}"


def _raw_target(raw_path: str, mark: str, raw_query: str, path: str, query: str) -> str | None:
    """The normal form of a raw target; None when it disagrees with the environ.

    A server gives ``PATH_INFO`` decoded and ``QUERY_STRING`` as sent; a raw
    target that does not decode to them (a middleware rewrote the path, the
    target has a fragment or an absolute form) is not what the app answers, so
    the key is then built from what the app sees.
    """
    if raw_query != query:
        return None
    if raw_path != path and ("%" not in raw_path or not _decodes_to(raw_path, path or "/")):
        return None
    if _PLAIN_ABSOLUTE(raw_path) is not None:
        target = raw_path
    elif raw_path[:1] == "/":
        target = normalise_path(raw_path)
    else:
        return None
    if not mark:
        return target
    return f"{target}?{normalise_query(raw_query)}"


def _decodes_to(raw_path: str, path: str) -> bool:
    """Whether the server's ``PATH_INFO`` is the raw path decoded (no rewrite on the way)."""
    try:
        return unquote_to_bytes(raw_path.encode("latin-1")).decode("latin-1") == path
    except UnicodeError:
        return False


def record_key(prefix: str, target: str, origin: str) -> str:
    """``{prefix}{target} {origin}``: the key of one URL (``origin`` is ``scheme://host``)."""
    return f"{prefix}{target} {origin}"


def origin_of(environ: Mapping[str, Any]) -> str:
    """``scheme://host`` of the request in ``environ`` (the Host header as sent)."""
    host: str = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _escape_unsafe(raw: str) -> str:
    """``raw`` with what a URI may not hold (a stray ``%`` too) escaped as a client would."""
    tokens = _NORMAL_TOKENS(raw)
    return "".join(
        token if len(token) == 3 or token not in _ENCODED or token == "?" else _ENCODED[token]
        for token in tokens
    )


def _latin1(text: str) -> str:
    """Text as the Latin-1 characters of its bytes, as a server hands them over (UTF-8 beyond)."""
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def _raw_high_octets(text: str) -> str:
    """``text`` with escapes of octets beyond ASCII sent raw, as some clients send them."""
    return _HIGH_ESCAPE.sub(lambda match: chr(int(match.group()[1:], 16)), text)


def target_forms(reference: str, *, prefix: bool = False) -> set[str]:
    """The targets under which the URL ``reference`` (``/a?b``, as in a link) may be stored.

    Its own normal form; the forms of clients that escape what a URI may not
    hold and of clients that send octets beyond ASCII raw; and the form its
    path takes where the server gives no raw target (decoded, then encoded
    again). Text beyond Latin-1 counts as its UTF-8 bytes, as clients send
    it. A ``#fragment`` is dropped. With ``prefix``, the forms are prefixes
    of keys (an empty query keeps its ``?``).
    """
    raw_path, mark, raw_query = _latin1(reference.partition("#")[0]).partition("?")
    escaped = _escape_unsafe(raw_path)
    paths = {normalise_path(p) for p in (raw_path, escaped, _raw_high_octets(escaped))}
    plain = encode_path(unquote_to_bytes(escaped.encode("latin-1")).decode("latin-1"))
    if not mark:
        return paths | {plain}
    escaped = _escape_unsafe(raw_query)
    queries = {normalise_query(q) for q in (raw_query, escaped, _raw_high_octets(escaped))}
    forms = {f"{path}?{query}" for path in paths for query in queries}
    if raw_query or prefix:
        forms.update(f"{plain}?{query}" for query in queries)
    else:
        forms.add(plain)  # without a raw target an empty query leaves no "?"
    return forms


def prefix_forms(prefix: str, path: str) -> set[str]:
    """The key prefixes that match every URL whose path starts with ``path`` (``"/blog/"``)."""
    return {prefix + form for form in target_forms(path, prefix=True)}


def environ_key(name: str) -> str:
    """The WSGI environ key of a request header: ``accept-encoding`` -> ``HTTP_ACCEPT_ENCODING``."""
    key = _ENVIRON_KEYS.get(name)
    if key is None:
        key = "HTTP_" + name.upper().replace("-", "_")
        _ENVIRON_KEYS[name] = key
    return key


def vary_values(environ: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, ...]:
    """The request's values of the ``Vary`` headers, with list spacing normalised."""
    values: list[str | None] = []
    for name in names:
        raw = environ.get(environ_key(name))
        if raw is None:
            values.append(None)
        elif "," in raw:
            values.append(",".join(part.strip() for part in raw.split(",")))
        else:
            values.append(raw.strip())
    return tuple(values)


def variant_key(record: str, generation: str, values: tuple[str | None, ...]) -> str:
    """The key of one variant of ``record``: generation plus a digest of the values."""
    text = "\n".join("\x00" if v is None else v for v in values)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{record}#{generation}:{digest}"


def lock_key(prefix: str, record: str) -> str:
    """The anti-stampede lock of a record (outside the path space, so never purged)."""
    return f"{prefix}~lock:{record}"


def tag_key(prefix: str, tag: str) -> str:
    """The index of the record keys tagged ``tag``."""
    return f"{prefix}~tag:{tag}"
