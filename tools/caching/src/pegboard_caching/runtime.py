"""Per-app state: the backends an app opened, its background refreshes, its clock.

Several apps may live in one process (tests do this all the time), each with
its own stores: everything here is keyed by the app object. Backends open in
``pegboard_app_start`` and close in ``pegboard_app_stop``.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from pegboard import ConfigError

from .backends.base import BackendSettings, CacheBackend
from .cache import ResponseCache, iter_caches

__all__ = ["BackendFactory", "Runtime", "builtin_backends", "collect_backends", "runtime_for"]

log = logging.getLogger("pegboard.caching")

BackendFactory = Callable[[BackendSettings], CacheBackend]

_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()
_RUNTIMES_GUARD = threading.Lock()


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


def iter_plans(app: Any) -> Iterator[Any]:
    """Every compiled plan of ``app``: per config section and per route (and method)."""
    # The core has no public list of an app's plans; these are its attributes.
    yield from getattr(app, "_section_plans", {}).values()
    for route in app.router.routes():
        if route.default_plan is not None:
            yield route.default_plan
        yield from route.plans.values()
        for default, per_method in route.section_plans.values():
            yield default
            yield from per_method.values()


class Runtime:
    """What one app's caches share: backends (one per store), a refresher pool, a clock."""

    def __init__(self, app: Any, factories: Mapping[str, BackendFactory]) -> None:
        self.factories = dict(factories)
        self.backends: dict[BackendSettings, CacheBackend] = {}
        self.caches: list[ResponseCache] = []
        #: wall clock for freshness; tests replace it to move time without sleeping
        self.clock: Callable[[], float] = time.time
        self._guard = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._futures: set[Future[None]] = set()
        self._closed = False

    def bind(self, cache: ResponseCache, section: str | None = None) -> CacheBackend:
        """Give ``cache`` this app's backend for its settings, opening it on first use."""
        settings = cache.settings.backend
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
        """Run ``func(*args)`` in the background; False once the app is stopping."""
        with self._guard:
            if self._closed:
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=2, thread_name_prefix="pegboard-caching"
                )
            future = self._executor.submit(func, *args)
            self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return True

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until the background refreshes started so far have finished (for tests)."""
        wait_futures(list(self._futures), timeout=timeout)

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


def runtime_for(app: Any) -> Runtime:
    """The app's runtime, created on first use (for caches met after the app started)."""
    with _RUNTIMES_GUARD:
        runtime = _RUNTIMES.get(app)
        if runtime is None:
            runtime = Runtime(app, collect_backends(getattr(app, "plugin_manager", None)))
            _RUNTIMES[app] = runtime
        return runtime


def start(app: Any) -> Runtime:
    """``pegboard_app_start``: a fresh runtime; open the backend of each cache in the plans."""
    runtime = Runtime(app, collect_backends(app.plugin_manager))
    with _RUNTIMES_GUARD:
        old = _RUNTIMES.pop(app, None)
        _RUNTIMES[app] = runtime
    if old is not None:
        old.close()
    try:
        for plan in iter_plans(app):
            for cache in iter_caches(plan.before_handler):
                if cache.runtime is not runtime:
                    runtime.bind(cache, plan.label)
    except BaseException:
        stop(app)
        raise
    return runtime


def stop(app: Any) -> None:
    """``pegboard_app_stop``: close what ``start`` opened."""
    with _RUNTIMES_GUARD:
        runtime = _RUNTIMES.pop(app, None)
    if runtime is not None:
        runtime.close()


def caches_of(app: Any) -> list[ResponseCache]:
    """The caches bound for ``app`` (for purging)."""
    with _RUNTIMES_GUARD:
        runtime = _RUNTIMES.get(app)
    return list(runtime.caches) if runtime is not None else []
