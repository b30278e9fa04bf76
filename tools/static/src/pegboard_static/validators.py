"""Validators (ETag, Last-Modified) and RFC 9110 precondition evaluation (section 13.2.2)."""

from __future__ import annotations

import calendar
import functools
import hashlib
import os
import re
from collections.abc import Mapping
from email.utils import formatdate, parsedate_tz
from typing import Any

__all__ = [
    "evaluate_preconditions",
    "file_etag",
    "http_date",
    "if_range_allows",
    "parse_etags",
    "parse_http_date",
]

# An entity-tag, weak or strong; the opaque part may hold any visible character but '"'.
_ETAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


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
    return formatdate(timestamp, usegmt=True)


def parse_http_date(value: str | None) -> int | None:
    """Seconds since the epoch for an HTTP-date (any of the three formats), or None.

    A list (a comma after the weekday is part of the date, a second one is
    not) or garbage gives None, which RFC 9110 says to treat as absent;
    ``email.utils`` already maps RFC 850 two-digit years.
    """
    if not value or value.count(",") > 1:
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return calendar.timegm(parsed[:6]) - (parsed[9] or 0)
    except (OverflowError, ValueError):
        return None


def parse_etags(value: str) -> list[tuple[bool, str]] | None:
    """``[(weak, '"tag"'), ...]`` from an If-Match/If-None-Match value; None means ``*``.

    Members that are not entity-tags are skipped.
    """
    if value.strip() == "*":
        return None
    tags = []
    pos, end = 0, len(value)
    while pos < end:
        match = _ETAG.match(value, pos)
        if match is None:
            comma = value.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
    return tags


def _strong_match(tags: list[tuple[bool, str]], etag: str) -> bool:
    return any(not weak and tag == etag for weak, tag in tags)


def _weak_match(tags: list[tuple[bool, str]], etag: str) -> bool:
    return any(tag == etag for _, tag in tags)


def evaluate_preconditions(
    headers: Mapping[str, Any], method: str, etag: str | None, last_modified: int | None
) -> int | None:
    """RFC 9110 section 13.2.2 for an existing representation: 412, 304 or None.

    ``headers`` is a WSGI environ (``HTTP_IF_MATCH`` ...). Order: If-Match,
    else If-Unmodified-Since; then If-None-Match (weak comparison), else
    If-Modified-Since (GET and HEAD only, compared as dates).
    """
    if_match = headers.get("HTTP_IF_MATCH")
    if if_match is not None:
        tags = parse_etags(if_match)
        if tags is not None and (etag is None or not _strong_match(tags, etag)):
            return 412
    else:
        since = parse_http_date(headers.get("HTTP_IF_UNMODIFIED_SINCE"))
        if since is not None and (last_modified is None or last_modified > since):
            return 412
    safe = method in ("GET", "HEAD")
    if_none_match = headers.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        if tags is None or (etag is not None and _weak_match(tags, etag)):
            return 304 if safe else 412
    elif safe and last_modified is not None:
        since = parse_http_date(headers.get("HTTP_IF_MODIFIED_SINCE"))
        if since is not None and last_modified <= since:
            return 304
    return None


def if_range_allows(value: str | None, etag: str | None, last_modified: int | None) -> bool:
    """True when a Range may be honoured: no If-Range, or it still matches.

    An entity-tag must match strongly (a weak tag never does); a date must
    equal Last-Modified exactly (RFC 9110 section 13.1.5).
    """
    if value is None:
        return True
    value = value.strip()
    if value.startswith("W/"):
        return False
    if value.startswith('"'):
        return etag is not None and value == etag
    date = parse_http_date(value)
    return date is not None and last_modified is not None and date == last_modified
