"""Per-app state: the backends an app opened, its caches, its background refreshes, its clock.

Several apps may live in one process (tests do this all the time), each with
its own stores: each app's :class:`Runtime` lives in ``app.state.caching``,
made by ``CachingTool.start(app)`` and closed by ``CachingTool.stop(app)``.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Any

from pegboard import App, ConfigError

from .backends.base import BackendSettings, CacheBackend

if TYPE_CHECKING:
    from .cache import ResponseCache

__all__ = [
    "STATE_NAME",
    "BackendFactory",
    "Runtime",
    "builtin_backends",
    "collect_backends",
    "runtime_for",
    "runtime_of",
]

log = logging.getLogger("pegboard.caching")

#: what a backend plugin provides: ``factory(settings) -> backend``
BackendFactory = Callable[[BackendSettings], CacheBackend]
#: the name of the runtime in ``app.state``
STATE_NAME = "caching"
#: background refreshes waiting for a thread, at most; more are skipped (the stale
#: answer was already served, and the next request may try again)
MAX_PENDING_REFRESHES = 64


def _suggest(name: str, candidates: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def builtin_backends() -> dict[str, BackendFactory]:
    """The backends this package ships: memory, redis, memcached."""
    from .backends.memcached import MemcachedBackend
    from .backends.memory import MemoryBackend
    from .backends.redis import RedisBackend

    return {"memory": MemoryBackend, "redis": RedisBackend, "memcached": MemcachedBackend}


def collect_backends(plugin_manager: Any) -> dict[str, BackendFactory]:
    """Every backend the app's plugins provide through ``pegboard_caching_backends``.

    Two plugins naming the same backend is a ConfigError naming both.
    """
    hook = getattr(getattr(plugin_manager, "hook", None), "pegboard_caching_backends", None)
    if hook is None:
        return builtin_backends()
    found: dict[str, BackendFactory] = {}
    owners: dict[str, str] = {}
    for impl in reversed(hook.get_hookimpls()):
        provided: Mapping[str, BackendFactory] = impl.function() or {}
        for name, factory in provided.items():
            if name in owners and owners[name] != impl.plugin_name:
                raise ConfigError(
                    f"two plugins provide the cache backend {name!r}: "
                    f"{owners[name]} and {impl.plugin_name}",
                    key="tools.caching.backend",
                )
            owners[name] = impl.plugin_name
            found[name] = factory
    return found


class Runtime:
    """What one app's caches share: backends (one per store), a refresher pool, a clock."""

    def __init__(self, factories: Mapping[str, BackendFactory]) -> None:
        self.factories = dict(factories)
        #: one backend per distinct store: paths whose store settings are equal share it
        self.backends: dict[BackendSettings, CacheBackend] = {}
        self.caches: list[ResponseCache] = []
        #: wall clock for freshness; tests replace it to move time without sleeping
        self.clock: Callable[[], float] = time.time
        self._guard = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._futures: set[Future[None]] = set()
        self._closed = False

    def bind(self, cache: ResponseCache, section: str | None = None) -> CacheBackend:
        """Give ``cache`` this app's backend for its store, opening it on first use."""
        settings = cache.backend_settings
        with self._guard:
            backend = self.backends.get(settings)
            if backend is None:
                backend = self._open(settings, section)
                self.backends[settings] = backend
            if cache not in self.caches:
                self.caches.append(cache)
            cache.runtime = self
            cache.backend = backend
        return backend

    def _open(self, settings: BackendSettings, section: str | None) -> CacheBackend:
        factory = self.factories.get(settings.name)
        if factory is None:
            known = ", ".join(sorted(self.factories)) or "none"
            raise ConfigError(
                f"unknown cache backend {settings.name!r}{_suggest(settings.name, self.factories)} "
                f"(installed: {known})",
                section=section,
                key="tools.caching.backend",
            )
        backend = factory(settings)
        if not isinstance(backend, CacheBackend):
            raise ConfigError(
                f"cache backend {settings.name!r} made {backend!r}, not a CacheBackend",
                section=section,
                key="tools.caching.backend",
            )
        try:
            backend.open()
        except Exception as exc:
            raise ConfigError(
                f"cache backend {settings.name!r} cannot be used: {exc}",
                section=section,
                key="tools.caching.backend",
            ) from exc
        return backend

    def submit(self, func: Callable[..., None], *args: Any) -> bool:
        """Run ``func(*args)`` in the background; False once stopping, or when too many wait."""
        with self._guard:
            if self._closed or len(self._futures) >= MAX_PENDING_REFRESHES:
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=2, thread_name_prefix="pegboard-caching"
                )
            future = self._executor.submit(func, *args)
            self._futures.add(future)
        future.add_done_callback(self._done)
        return True

    def _done(self, future: Future[None]) -> None:
        with self._guard:
            self._futures.discard(future)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until the background refreshes started so far have finished (for tests)."""
        with self._guard:
            pending = list(self._futures)
        wait_futures(pending, timeout=timeout)

    def close(self) -> None:
        """Stop the refresher pool and close every backend (errors are logged)."""
        with self._guard:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        for cache in self.caches:
            cache.backend = None
            cache.runtime = None
        for backend in self.backends.values():
            try:
                backend.close()
            except Exception:
                log.exception("closing cache backend %r failed", backend.settings.name)
        self.caches.clear()
        self.backends.clear()


def runtime_of(app: App) -> Runtime | None:
    """The app's runtime, or None while caching is not started for it."""
    runtime: Runtime | None = app.state.get(STATE_NAME)
    return runtime


def runtime_for(app: App) -> Runtime:
    """The app's runtime; the app is started first if it is not yet."""
    runtime = runtime_of(app)
    if runtime is None:
        app.start()
        runtime = runtime_of(app)
    if runtime is None:
        raise RuntimeError("tools.caching is on for no path of this app: it has no cache")
    return runtime
