"""The options of ``tools.ratelimit``: each field is one config key, checked at start-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

import pegboard
from pegboard import OptionError, Request, option

from .limits import KeyFunction, Limit, parse_limits, resolve_key

__all__ = ["DEFAULT_KEY_PREFIX", "DEFAULT_URL", "RateLimitOptions"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_KEY_PREFIX = "pegboard:ratelimit:"
_SCOPE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_REDIS_SCHEMES = ("redis", "rediss", "unix")


class RateLimitOptions(pegboard.ToolOptions):
    """The options of ``tools.ratelimit``."""

    limits: str = option(
        doc="the limits every request must pass, `;`-separated: `COUNT/PERIOD [per KEY]`, "
        "like `10/second; 1000/hour` or `5/minute per ip; 100/day per user`",
    )
    key: str | Callable[[Request], str | None] = option(
        default="ip",
        doc="what requests are counted by, for limits without `per`: `ip` (the client "
        "address, after the proxy tool), `user` (`req.login`; the address when there is "
        "none), `route` (the route template, all clients together) or a function "
        "`key(req) -> str | None` (None: not counted) as an import string",
    )
    scope: str = option(
        default="",
        doc="a name for these counters: paths with the same scope, key and limits share "
        "them, so give different scopes to sections that must count apart; shown in the "
        "policy names",
    )
    after_login: bool = option(
        default=False,
        doc="count the limits of a key function after authentication (before_handler 15, "
        "where `req.login` is set) instead of before the body is read (on_start_resource 7); "
        "`user` limits always are",
    )
    ipv6_prefix: int = option(
        default=64,
        doc="IPv6 clients are counted by this network prefix (a /64 is usually one "
        "subscriber, who can use any address in it); 128 counts each address",
        unit="bits",
    )
    headers: bool = option(
        default=True,
        doc="send RateLimit-Policy and RateLimit on every response of the path (a 429 "
        "always has Retry-After)",
    )
    storage: Literal["memory", "redis"] = option(
        default="memory",
        doc="where the counters live: this process (`memory`), or Redis, shared by every "
        "process and server that uses it",
    )
    url: str = option(
        default=DEFAULT_URL,
        doc="the Redis server (`redis://`, `rediss://` for TLS, `unix://`)",
    )
    key_prefix: str = option(
        default=DEFAULT_KEY_PREFIX, doc="the prefix of every Redis key the tool writes"
    )
    timeout: float = option(
        default=0.25,
        doc="the connect and read timeout of a Redis call, and the wait for a free "
        "connection: a Redis that hangs costs a request at most about three times this",
        unit="seconds",
    )
    retry_interval: float = option(
        default=5.0,
        doc="after Redis failed, how long it is not asked again (`on_store_error` "
        "decides meanwhile)",
        unit="seconds",
    )
    pool_size: int = option(
        default=16,
        doc="Redis connections per process at most (a request waits `timeout` for one)",
        unit="connections",
    )
    on_store_error: Literal["local", "allow", "deny"] = option(
        default="local",
        doc="while Redis fails: `local` counts in each process on its own, `allow` lets "
        "requests through uncounted, `deny` answers 503",
    )
    max_keys: int = option(
        default=100_000,
        doc="keys the memory store (and the `local` fallback) holds at most; idle keys leave first",
        unit="keys",
    )

    def __post_init__(self) -> None:
        self.parsed_limits()
        if not _SCOPE.fullmatch(self.scope) and self.scope:
            raise OptionError(
                "scope", f"{self.scope!r}: use up to 40 letters, digits, '_', '.' or '-'"
            )
        if not 1 <= self.ipv6_prefix <= 128:
            raise OptionError("ipv6_prefix", f"must be 1 to 128, not {self.ipv6_prefix}")
        if self.timeout <= 0:
            raise OptionError("timeout", f"must be more than 0, not {self.timeout}")
        if self.retry_interval <= 0:
            raise OptionError("retry_interval", f"must be more than 0, not {self.retry_interval}")
        if self.pool_size < 1:
            raise OptionError("pool_size", f"must be at least 1, not {self.pool_size}")
        if self.max_keys < 1:
            raise OptionError("max_keys", f"must be at least 1, not {self.max_keys}")
        if not self.key_prefix.isprintable() or not self.key_prefix:
            raise OptionError("key_prefix", "must be printable and not empty")
        scheme = urlsplit(self.url).scheme.lower()
        if scheme not in _REDIS_SCHEMES:
            raise OptionError(
                "url", f"{self.url!r} is not a Redis URL: use redis://, rediss:// or unix://"
            )

    def default_key(self) -> str | KeyFunction:
        """``key`` resolved: a key name, or the function an import string names."""
        try:
            return resolve_key(self.key) if isinstance(self.key, str) else self.key
        except ValueError as exc:
            raise OptionError("key", str(exc)) from None

    def parsed_limits(self) -> tuple[Limit, ...]:
        """The limits, each with its key; OptionError naming the part at fault."""
        default = self.default_key()
        try:
            return parse_limits(self.limits, default)
        except ValueError as exc:
            raise OptionError("limits", str(exc)) from None
