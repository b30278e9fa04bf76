"""Rate limits for pegboard: ``tools.ratelimit``.

Each request is counted by a key (the client's address, the logged-in user,
the route, or a function of yours) against one or more limits
(``"10/second; 1000/hour"``) with GCRA, in this process's memory or in Redis
shared by every process; past a limit the client gets 429 with
``Retry-After`` and the IETF ``RateLimit-Policy`` and ``RateLimit`` fields.
``ratelimit_of(req)`` tells a handler what is left.
"""

from __future__ import annotations

import pegboard

from .gcra import decide, status
from .limits import KEY_NAMES, KeyFunction, Limit, parse_limits
from .memory import MemoryStore
from .options import RateLimitOptions
from .policies import sf_string
from .redis_store import SCRIPT, RedisStore, StoreUnavailable
from .state import LimitStatus, RateLimitState, ratelimit_of
from .tool import (
    COUNT_PRIORITY,
    HEADERS_PRIORITY,
    LOGIN_PRIORITY,
    RateLimitTool,
    Store,
    Stores,
    stores_of,
)

__all__ = [
    "COUNT_PRIORITY",
    "HEADERS_PRIORITY",
    "KEY_NAMES",
    "LOGIN_PRIORITY",
    "SCRIPT",
    "KeyFunction",
    "Limit",
    "LimitStatus",
    "MemoryStore",
    "RateLimitOptions",
    "RateLimitState",
    "RateLimitTool",
    "RedisStore",
    "Store",
    "StoreUnavailable",
    "Stores",
    "decide",
    "parse_limits",
    "pegboard_tools",
    "ratelimit_of",
    "sf_string",
    "status",
    "stores_of",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [RateLimitTool()]
