"""Does the Digest ``uri`` parameter name the resource this request is for?

RFC 7616 section 3.4.6: the server must check that ``uri`` is the request
target, else a header captured for one resource could be replayed against
another. WSGI gives the path percent-decoded (``SCRIPT_NAME`` +
``PATH_INFO``) and the query raw (``QUERY_STRING``), so the ``uri`` is
compared in the same form: its path percent-decoded, its query as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

__all__ = ["matches_request_target"]


def matches_request_target(uri: str, environ: Mapping[str, Any]) -> bool:
    """True if ``uri`` (origin-form or absolute-form) names this request's path and query."""
    if uri.startswith("/"):
        path, _, query = uri.partition("?")
    elif "://" in uri:
        try:
            parts = urlsplit(uri)
        except ValueError:
            return False
        path, query = parts.path or "/", parts.query
    else:
        return False  # "*", or not a request target at all
    if "#" in path or "#" in query:
        return False
    if query != environ.get("QUERY_STRING", ""):
        return False
    try:
        decoded = unquote_to_bytes(path).decode("latin-1")
    except UnicodeEncodeError:
        return False
    target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return decoded == (target or "/")
