"""A bounded cache for parsers of client-sent header values that keeps no long value alive."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

__all__ = ["MAX_CACHED_LENGTH", "cache_short"]

P = ParamSpec("P")
R = TypeVar("R")

#: Header values longer than this are parsed every time, never kept as cache keys: an
#: lru_cache of 512 entries keyed by 60 KB values a client chose would hold 30 MB.
MAX_CACHED_LENGTH = 256


def cache_short(
    maxsize: int,
) -> Callable[[Callable[Concatenate[str, P], R]], Callable[Concatenate[str, P], R]]:
    """``functools.lru_cache(maxsize)`` for values up to MAX_CACHED_LENGTH characters.

    PERF: the few short values a site sees again and again are answered from
    the cache; a long one (rare, and usually hostile) is parsed and forgotten.
    """

    def decorate(func: Callable[Concatenate[str, P], R]) -> Callable[Concatenate[str, P], R]:
        lru = functools.lru_cache(maxsize=maxsize)(func)
        cached: Callable[..., R] = lru

        @functools.wraps(func)
        def call(value: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if not kwargs and len(value) <= MAX_CACHED_LENGTH:
                return cached(value, *args)
            return func(value, *args, **kwargs)

        vars(call).update(cache_clear=lru.cache_clear, cache_info=lru.cache_info)
        return call

    return decorate
