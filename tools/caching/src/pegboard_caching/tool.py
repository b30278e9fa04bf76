"""The ``caching`` tool: the hooks it attaches per path, and its stores opened with the app."""

from __future__ import annotations

import difflib

import pegboard
from pegboard import App, HookDoc, OptionError, PlanBuilder

from .cache import RELEASE_PRIORITY, ResponseCache, iter_caches
from .options import CachingOptions
from .runtime import STATE_NAME, Runtime, collect_backends, runtime_of

__all__ = ["PRIORITIES", "RELEASE_PRIORITY", "CachingTool"]

#: (hookpoint, priority, failsafe) of each hook in the plan, by the ResponseCache method
PRIORITIES = {
    "lookup": ("before_handler", 20, False),
    "store": ("before_finalize", 90, False),
    "on_error": ("after_error_response", 50, True),
}


class CachingTool(pegboard.Tool[CachingOptions]):
    """An RFC 9111 shared cache of whole responses, on memory, Redis or Memcached.

    A hit is answered before the handler (priority 20); a miss is stored after
    etags and gzip (before_finalize, priority 90), keyed by the request
    headers its ``Vary`` names.
    """

    hooks = (
        HookDoc(
            "before_handler",
            20,
            does="answers a fresh hit (or a 304) before the handler; a miss takes the "
            "stampede lock or waits for the request that holds it",
        ),
        HookDoc(
            "before_finalize",
            90,
            does="stores the response (after etags and gzip); answers the client's "
            "validators; an unsafe method that succeeded drops the URL's entries",
        ),
        HookDoc(
            "on_end_resource",
            RELEASE_PRIORITY,
            does="releases the stampede lock a miss still holds",
            failsafe=True,
            per_request=True,
        ),
        HookDoc(
            "after_error_response",
            50,
            does="serves a stale response under stale-if-error; releases the stampede lock",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("caching", point="before_handler", priority=20)

    def attach(self, plan: PlanBuilder, options: CachingOptions) -> None:
        self._check_backend(plan, options.backend)
        cache = ResponseCache(options)
        for name, (point, priority, failsafe) in PRIORITIES.items():
            plan.add(point, getattr(cache, name), priority, failsafe)
        # A plain fresh hit skips the lifecycle when no other tool is on for the path.
        plan.offer_quick_answer(cache.quick)
        # The lock release (on_end_resource) is attached per request, only by the
        # misses that hold a lock: hits do not pay for it.

    @staticmethod
    def _check_backend(plan: PlanBuilder, name: str) -> None:
        """An unknown backend, or one whose client library is missing, fails at compile time.

        So ``pegboard check`` and the parent of ``pegboard serve`` report it, in one
        line with the fix, before any worker starts.
        """
        factories = collect_backends(plan.app.plugin_manager if plan.app is not None else None)
        if name not in factories:
            known = ", ".join(sorted(factories)) or "none"
            close = difflib.get_close_matches(name, list(factories), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise OptionError(
                "backend", f"unknown cache backend {name!r}{hint} (installed: {known})"
            )
        needs = _CLIENT_LIBRARIES.get(name)
        missing = pegboard.missing_extra(*needs) if needs is not None else None
        if missing is not None:
            raise OptionError("backend", f"the {name} backend {missing}")

    def start(self, app: App) -> None:
        """Open the store of every configured path: one backend per distinct store."""
        runtime = Runtime(collect_backends(app.plugin_manager))
        setattr(app.state, STATE_NAME, runtime)
        try:
            for plan in app.plans():
                for cache in iter_caches(plan.hooks["before_handler"]):
                    if cache.runtime is not runtime:
                        runtime.bind(cache, plan.label)
        except BaseException:
            self.stop(app)
            raise
        for backend in runtime.backends.values():
            app.add_health_probe(backend.name, backend.health)

    def stop(self, app: App) -> None:
        """Stop the background refreshes and close the stores."""
        runtime = runtime_of(app)
        if runtime is not None:
            for backend in runtime.backends.values():
                app.remove_health_probe(backend.name)
            delattr(app.state, STATE_NAME)
            runtime.close()


#: The client library behind each built-in networked backend, and the extra with it.
_CLIENT_LIBRARIES = {
    "redis": ("redis", "caching-redis"),
    "memcached": ("pymemcache", "caching-memcached"),
}
