"""Purging from application code: by URL path prefix, by tag, or everything.

Each function acts on every cache the app has configured (all paths, all
stores); with a shared store (Redis, Memcached) every process sees the purge.
"""

from __future__ import annotations

from pegboard import App

from .cache import ResponseCache
from .runtime import runtime_of

__all__ = ["purge_all", "purge_prefix", "purge_tag"]


def _distinct(app: App) -> list[ResponseCache]:
    # Two paths with the same store and key prefix hold the same keys: purge once.
    runtime = runtime_of(app)
    if runtime is None:
        return []
    seen: set[tuple[int, str]] = set()
    caches = []
    for cache in list(runtime.caches):
        if cache.backend is None:
            continue
        mark = (id(cache.backend), cache.options.key_prefix)
        if mark not in seen:
            seen.add(mark)
            caches.append(cache)
    return caches


def purge_prefix(app: App, path: str) -> int:
    """Drop every stored URL whose path starts with ``path`` (e.g. ``"/blog/"``).

    The match is on the path as clients write it in a URL, after the
    normalisation keys get: ``"/blog"`` also matches ``"/blogs"``; a prefix
    with ``?`` reaches into the query; escapes and characters beyond ASCII
    match however clients send them. Returns how many URLs went.
    """
    if not path.startswith("/"):
        raise ValueError(f"a path prefix starts with '/', not {path!r}")
    return sum(cache.purge_prefix(path) for cache in _distinct(app))


def purge_tag(app: App, *tags: str) -> int:
    """Drop every URL whose response was stored with one of ``tags`` (see ``cache_tags_of``)."""
    return sum(cache.purge_tag(tag) for cache in _distinct(app) for tag in tags)


def purge_all(app: App) -> int:
    """Drop every stored URL of the app."""
    return purge_prefix(app, "/")
