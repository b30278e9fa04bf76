"""``request.allowed_hosts``: the Host names this site answers for.

A request whose Host is not listed gets a 400 before routing, so a forged
Host never reaches a redirect, an absolute URL, a cache key or a log line as
if it were this site's name (the attack Django's ALLOWED_HOSTS prevents).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["HostPolicy", "check_host_pattern"]

# A host name (letters, digits, '-', '.', '_'), an IPv4 address, or a bracketed IPv6
# address, with an optional port. What RFC 9110 §7.2 allows in Host, less userinfo.
_HOST = re.compile(r"^(?:\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::([0-9]{1,5}))?$")
_CACHE_LIMIT = 256


def check_host_pattern(pattern: str) -> str:
    """``pattern`` lower-cased if it is a valid entry of ``allowed_hosts``; else ValueError.

    Entries: ``example.com`` (that name), ``.example.com`` (it and every
    subdomain), either with ``:port`` to allow one port only, or ``*`` (any).
    """
    text = pattern.strip().lower()
    if text == "*":
        return text
    if "://" in text or "/" in text:
        raise ValueError(f"{pattern!r} is a URL; list the host name alone, like 'example.com'")
    body = text[1:] if text.startswith(".") else text
    if not body or not _HOST.fullmatch(body):
        raise ValueError(f"{pattern!r} is not a host name like 'example.com' or '.example.com'")
    return text


def _split(host: str) -> tuple[str, str | None] | None:
    """(name, port) of a Host value, lower-cased; None if it is malformed."""
    text = host.strip().lower()
    match = _HOST.fullmatch(text)
    if match is None:
        return None
    port = match.group(1)
    name = text[: len(text) - len(port) - 1] if port else text
    return name.rstrip("."), port  # "example.com." is example.com


class HostPolicy:
    """Decides whether a Host header value names this site."""

    __slots__ = ("_any", "_cache", "_exact", "_suffixes")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: set[tuple[str, str | None]] = set()
        self._suffixes: list[tuple[str, str | None]] = []
        self._any = False
        for pattern in patterns:
            text = check_host_pattern(pattern)
            if text == "*":
                self._any = True
                continue
            suffix = text.startswith(".")
            split = _split(text[1:] if suffix else text)
            assert split is not None  # checked above
            if suffix:
                self._suffixes.append(split)
            else:
                self._exact.add(split)
        # PERF: the same few Host values arrive again and again; remember the answer.
        # Bounded, so a client sending endless distinct values cannot grow it.
        self._cache: dict[str, bool] = {}

    def allows(self, host: str | None) -> bool:
        """Whether ``host`` (a Host header value, or None when absent) may be served."""
        if host is None or self._any:
            return True  # no Host (HTTP/1.0): the server's own name is used
        known = self._cache.get(host)
        if known is not None:
            return known
        allowed = self._decide(host)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[host] = allowed
        return allowed

    def _decide(self, host: str) -> bool:
        split = _split(host)
        if split is None:
            return False
        name, port = split
        if (name, port) in self._exact or (name, None) in self._exact:
            return True
        for suffix, wanted in self._suffixes:
            if wanted is not None and wanted != port:
                continue
            if name == suffix or name.endswith("." + suffix):
                return True
        return False
