"""The ``caching`` tool: options, their checks, and the hooks it attaches per path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pegboard
from pegboard import ConfigError, PlanBuilder

from .backends.base import BackendSettings
from .backends.memcached import parse_server
from .cache import CacheSettings, ResponseCache

__all__ = ["PRIORITIES", "CachingTool"]

#: (hookpoint, priority, failsafe) of each hook, for docs and ``pegboard tools``
PRIORITIES = {
    "lookup": ("before_handler", 20, False),
    "store": ("before_finalize", 90, False),
    "on_error": ("after_error_response", 50, True),
}
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_POSITIVE = ("maxobj_size", "maxobjects", "maxsize", "timeout")
_NON_NEGATIVE = ("delay", "antistampede_timeout", "retry_interval")


class CachingTool(pegboard.Tool):
    """An RFC 9111 shared cache of whole responses, on memory, Redis or Memcached.

    A hit is answered before the handler (priority 20); a miss is stored after
    etags and gzip (before_finalize, priority 90), keyed by the request
    headers its ``Vary`` names.
    """

    # on_end_resource: the lock release, attached per request by misses only.
    points = ("before_handler", "before_finalize", "on_end_resource", "after_error_response")

    def __init__(self) -> None:
        super().__init__("caching", point="before_handler", priority=20)

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: PlanBuilder,
        *,
        backend: str = "memory",
        url: str | None = None,
        servers: list[str] | None = None,
        delay: float = 600.0,
        maxobj_size: int = 100_000,
        maxobjects: int = 1000,
        maxsize: int = 10_000_000,
        antistampede_timeout: float = 5.0,
        invalid_methods: Sequence[str] = ("POST", "PUT", "PATCH", "DELETE"),
        key_prefix: str = "pegboard-cache:",
        timeout: float = 0.5,
        retry_interval: float = 5.0,
        store_errors: bool = False,
    ) -> None:
        settings = CacheSettings(
            backend=BackendSettings(
                name=backend,
                url=url,
                servers=tuple(servers or ()),
                maxobjects=maxobjects,
                maxsize=maxsize,
                timeout=timeout,
            ),
            delay=delay,
            maxobj_size=maxobj_size,
            antistampede_timeout=antistampede_timeout,
            invalid_methods=frozenset(invalid_methods),
            key_prefix=key_prefix,
            retry_interval=retry_interval,
            store_errors=store_errors,
        )
        cache = ResponseCache(settings)
        for name, (point, priority, failsafe) in PRIORITIES.items():
            plan.add(point, getattr(cache, name), priority, failsafe)
        # A plain fresh hit skips the lifecycle when no other tool is on for the path.
        plan.offer_quick_answer(cache.quick)
        # The lock release (on_end_resource, priority 10, failsafe) is attached per
        # request, only by the misses that hold a lock: hits do not pay for it.

    def check(self, options: dict[str, Any], section: str) -> None:
        def fail(key: str, message: str) -> None:
            raise ConfigError(message, section=section, key=f"tools.caching.{key}")

        for key in _POSITIVE:
            if key in options and options[key] <= 0:
                fail(key, f"must be greater than 0, not {options[key]!r}")
        for key in _NON_NEGATIVE:
            if key in options and options[key] < 0:
                fail(key, f"must not be negative, not {options[key]!r}")
        for method in options.get("invalid_methods", ()):
            if method in ("GET", "HEAD"):
                fail(
                    "invalid_methods",
                    f"{method} is answered from the cache; it cannot invalidate it",
                )
            if not method.isalpha() or method != method.upper():
                fail("invalid_methods", f"{method!r} is not an HTTP method name like 'POST'")
        backend = options.get("backend", "memory")
        url, servers = options.get("url"), options.get("servers")
        if backend == "memory" and (url or servers):
            fail("url" if url else "servers", "the memory backend takes no url or servers")
        if backend == "redis":
            if servers:
                fail(
                    "servers", "the redis backend takes a url ('redis://host:6379/0'), not servers"
                )
            if url is not None and not url.startswith(_REDIS_SCHEMES):
                fail("url", f"a Redis url starts with redis://, rediss:// or unix://, not {url!r}")
        if backend == "memcached":
            for server in servers or ([url] if url else []):
                try:
                    parse_server(server)
                except ValueError as exc:
                    fail("servers" if servers else "url", str(exc))
