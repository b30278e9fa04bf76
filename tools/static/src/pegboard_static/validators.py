"""Validators of a file (ETag, Last-Modified) and the preconditions of RFC 9110 §13.2.2.

Comparing tags and reading dates is :mod:`pegboard.httputil`'s; this module
makes a file's validators and reads the conditional headers from the environ.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from typing import Any

from pegboard.httputil import evaluate_preconditions, format_http_date

__all__ = ["evaluate", "file_etag", "http_date"]


def file_etag(st: os.stat_result, suffix: str = "") -> str:
    """A strong ETag from the file's inode, mtime (ns) and size.

    The three numbers are hashed so that inode numbers do not leak to
    clients; ``suffix`` (``".br"``) gives each encoding its own tag.
    """
    return _etag(st.st_ino, st.st_mtime_ns, st.st_size, suffix)


# PERF: a site serves the same files again and again; hashing and date
# formatting are done once per file version, not once per request.
@functools.lru_cache(maxsize=4096)
def _etag(ino: int, mtime_ns: int, size: int, suffix: str) -> str:
    raw = f"{ino}:{mtime_ns}:{size}".encode("ascii")
    return f'"{hashlib.blake2b(raw, digest_size=10).hexdigest()}{suffix}"'


@functools.lru_cache(maxsize=4096)
def http_date(timestamp: int) -> str:
    """An IMF-fixdate for whole seconds: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return format_http_date(timestamp)


def evaluate(
    environ: Mapping[str, Any], method: str, etag: str | None, last_modified: int | None
) -> int | None:
    """412, 304 or None (go on) for a request against an existing file.

    ``environ`` is the WSGI environ (``HTTP_IF_MATCH`` ...); the order and
    the comparisons are RFC 9110 §13.2.2's, through
    :func:`pegboard.httputil.evaluate_preconditions`.
    """
    if_match = environ.get("HTTP_IF_MATCH")
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if_unmodified_since = environ.get("HTTP_IF_UNMODIFIED_SINCE")
    if (
        if_match is None
        and if_none_match is None
        and if_modified_since is None
        and if_unmodified_since is None
    ):
        return None  # PERF: most requests carry no condition
    return evaluate_preconditions(
        method,
        etag=etag,
        last_modified=last_modified,
        if_match=if_match,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        if_unmodified_since=if_unmodified_since,
    )
