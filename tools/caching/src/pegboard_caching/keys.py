"""Cache keys: one per URL (the record), one per variant, and the helper keys.

A record key starts with ``key_prefix`` followed by the path, so purging by a
path prefix is a prefix match on keys. Path and query are quoted when they
hold characters that could blur the separator before the origin.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

__all__ = [
    "environ_key",
    "lock_key",
    "origin_of",
    "path_prefix",
    "record_key",
    "tag_key",
    "variant_key",
    "vary_values",
]

_PLAIN = re.compile(r"[A-Za-z0-9/._~\-!$&'()*+,;=:@%]*\Z").match
_SAFE = "/!$&'()*+,;=:@%"
_ENVIRON_KEYS: dict[str, str] = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def _plain(text: str) -> str:
    # PERF: most paths need no quoting; the regex check is cheaper than quote().
    return text if _PLAIN(text) else quote(text, safe=_SAFE)


def record_key(prefix: str, path: str, query: str | None, origin: str) -> str:
    """``{prefix}{path}?{query} {origin}``: the key of one URL (``origin`` is ``scheme://host``)."""
    if query:
        return f"{prefix}{_plain(path)}?{_plain(query)} {origin}"
    return f"{prefix}{_plain(path)} {origin}"


def origin_of(environ: Mapping[str, Any]) -> str:
    """``scheme://host`` of the request in ``environ``."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def path_prefix(prefix: str, path: str) -> str:
    """The key prefix that matches every URL whose path starts with ``path``."""
    head, sep, query = path.partition("?")
    return prefix + _plain(head) + (sep + _plain(query) if sep else "")


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
