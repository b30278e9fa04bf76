"""Purging from application code: by URL path prefix, by tag, or everything.

Each function acts on every cache the app has configured (all paths, all
stores); with a shared store (Redis, Memcached) every process sees the purge.
"""

from __future__ import annotations

from typing import Any

from .runtime import caches_of

__all__ = ["purge_all", "purge_prefix", "purge_tag"]


def _distinct(app: Any) -> list[Any]:
    # Two paths with the same store and key prefix hold the same keys: purge once.
    seen: set[tuple[int, str]] = set()
    caches = []
    for cache in caches_of(app):
        if cache.backend is None:
            continue
        mark = (id(cache.backend), cache.settings.key_prefix)
        if mark not in seen:
            seen.add(mark)
            caches.append(cache)
    return caches


def purge_prefix(app: Any, path: str) -> int:
    """Drop every stored URL whose path starts with ``path`` (e.g. ``"/blog/"``).

    The match is on the path as a string: ``"/blog"`` also matches ``"/blogs"``;
    a prefix with ``?`` reaches into the query. Returns how many URLs went.
    """
    if not path.startswith("/"):
        raise ValueError(f"a path prefix starts with '/', not {path!r}")
    return sum(cache.purge_prefix(path) for cache in _distinct(app))


def purge_tag(app: Any, *tags: str) -> int:
    """Drop every URL whose response was stored with one of ``tags`` in ``resp.cache_tags``."""
    return sum(cache.purge_tag(tag) for cache in _distinct(app) for tag in tags)


def purge_all(app: Any) -> int:
    """Drop every stored URL of the app."""
    return purge_prefix(app, "/")
