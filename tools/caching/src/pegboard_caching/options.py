"""The options of ``tools.caching``: one typed, checked object per configured path."""

from __future__ import annotations

import math
from functools import cached_property

import pegboard
from pegboard import OptionError, option

from .backends.base import BackendSettings
from .backends.memcached import parse_server

__all__ = ["CachingOptions"]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class CachingOptions(pegboard.ToolOptions):
    """``tools.caching.*`` of one path, checked when the app starts."""

    backend: str = option(
        default="memory",
        doc="the store: memory, redis, memcached, or a name a plugin provides",
    )
    url: str | None = option(
        default=None,
        doc="Redis: a redis://, rediss:// or unix:// URL (default redis://127.0.0.1:6379/0); "
        "Memcached: one host:port",
    )
    servers: tuple[str, ...] | None = option(
        default=None,
        doc="Memcached: host:port of each server (default 127.0.0.1:11211)",
    )
    delay: float = option(
        default=600.0,
        doc="freshness of a response that gives none (no max-age, s-maxage or Expires)",
        unit="seconds",
    )
    maxobj_size: int = option(
        default=100_000,
        doc="larger bodies are not stored; a larger stream keeps streaming",
        unit="bytes",
    )
    maxobjects: int = option(
        default=1000,
        doc="memory: entries kept (variants count); the least recently used go first",
        unit="entries",
    )
    maxsize: int = option(
        default=10_000_000,
        doc="memory: bytes kept, counting bodies, headers, keys, variants and the overhead "
        "of each entry; the least recently used go first",
        unit="bytes",
    )
    antistampede_timeout: float = option(
        default=5.0,
        doc="how long concurrent misses wait for the one running the handler; 0 turns the lock off",
        unit="seconds",
    )
    invalid_methods: tuple[str, ...] = option(
        default=("POST", "PUT", "PATCH", "DELETE"),
        doc="methods whose success (2xx/3xx) drops the URL's stored responses",
    )
    key_prefix: str = option(
        default="pegboard-cache:",
        doc="prefix of every key in the store (several apps can share one store)",
    )
    timeout: float = option(
        default=0.5,
        doc="Redis/Memcached: time to connect and per operation",
        unit="seconds",
    )
    retry_interval: float = option(
        default=5.0,
        doc="after a store fails, how long it is left alone (requests are served uncached)",
        unit="seconds",
    )
    store_errors: bool = option(
        default=False,
        doc="store a 404/410 raised as an HTTPError when it says it may be stored",
    )

    def __post_init__(self) -> None:
        for key in ("maxobj_size", "maxobjects", "maxsize", "timeout"):
            value = getattr(self, key)
            if value <= 0:
                raise OptionError(key, f"must be greater than 0, not {value!r}")
        for key in ("delay", "antistampede_timeout", "retry_interval"):
            value = getattr(self, key)
            if value < 0:
                raise OptionError(key, f"must not be negative, not {value!r}")
        for key in ("delay", "antistampede_timeout", "retry_interval", "timeout"):
            value = getattr(self, key)
            if not math.isfinite(value):
                raise OptionError(key, f"must be a finite number of seconds, not {value!r}")
        for method in self.invalid_methods:
            if method in ("GET", "HEAD"):
                raise OptionError(
                    "invalid_methods",
                    f"{method} is answered from the cache; it cannot invalidate it",
                )
            if not method.isalpha() or method != method.upper():
                raise OptionError(
                    "invalid_methods", f"{method!r} is not an HTTP method name like 'POST'"
                )
        self._check_store()

    def _check_store(self) -> None:
        backend, url, servers = self.backend, self.url, self.servers
        if backend == "memory" and (url or servers):
            raise OptionError(
                "url" if url else "servers", "the memory backend takes no url or servers"
            )
        if backend == "redis":
            if servers:
                raise OptionError(
                    "servers", "the redis backend takes a url ('redis://host:6379/0'), not servers"
                )
            if url is not None and not url.startswith(_REDIS_SCHEMES):
                raise OptionError(
                    "url", f"a Redis url starts with redis://, rediss:// or unix://, not {url!r}"
                )
        if backend == "memcached":
            for server in servers or ((url,) if url else ()):
                try:
                    parse_server(server)
                except ValueError as exc:
                    raise OptionError("servers" if servers else "url", str(exc)) from None

    @cached_property
    def store(self) -> BackendSettings:
        """The part of the options that names a store; paths with equal ones share a backend."""
        return BackendSettings(
            name=self.backend,
            url=self.url,
            servers=self.servers or (),
            maxobjects=self.maxobjects,
            maxsize=self.maxsize,
            timeout=self.timeout,
        )
