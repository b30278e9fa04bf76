"""The ``ratelimit`` tool: count each request, answer 429 past a limit, say so in headers.

Where it runs, and why:

- limits per ``ip``, ``route`` or key function count at ``on_start_resource``
  priority 7: after ``proxy`` (5) resolved the client's address, before the
  body is read, the session loaded (``before_handler`` 10) or a password
  checked (``auth_basic`` and ``auth_digest`` at ``before_handler`` 1), so a
  flood is refused at the smallest cost;
- limits per ``user`` (and key functions with ``after_login``) count at
  ``before_handler`` 15, once ``req.login`` is known: after the auth tools (1)
  and ``session_auth`` (14), before the cache answers (20) and the JSON body
  is parsed (30);
- ``RateLimit-Policy`` and ``RateLimit`` are written at ``before_finalize``
  95, after the cache stored the response (90), so no stored answer carries
  one client's quota to another; a cache hit gets the current client's.

A refused request is an ``HTTPError(429)`` with ``Retry-After`` and the
RateLimit fields, so it goes through the normal error path: error pages,
problem details and every other tool's headers apply to it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import pegboard
from pegboard import HookDoc, HTTPError, PlanBuilder, Request, Response

from .gcra import Rates, Verdict
from .memory import MemoryStore
from .options import DEFAULT_KEY_PREFIX, DEFAULT_URL, RateLimitOptions
from .policies import Group, group_limits
from .redis_store import RedisStore, StoreUnavailable, argv_of
from .state import STATE_NAME, Counted, RateLimitState

__all__ = [
    "COUNT_PRIORITY",
    "HEADERS_PRIORITY",
    "LOGIN_PRIORITY",
    "RateLimitTool",
    "Store",
    "Stores",
    "stores_of",
]

#: on_start_resource: after proxy (5) sets req.remote, before anything reads the body.
COUNT_PRIORITY = 7
#: before_handler: after auth_basic/auth_digest (1) and session_auth (14) set req.login.
LOGIN_PRIORITY = 15
#: before_finalize: after caching stores the response (90).
HEADERS_PRIORITY = 95
#: The tools that set ``req.login`` before LOGIN_PRIORITY (for a warning only).
_LOGIN_TOOLS = frozenset({"auth_basic", "auth_digest", "session_auth"})
_REDIS_ONLY = {
    "url": DEFAULT_URL,
    "key_prefix": DEFAULT_KEY_PREFIX,
    "timeout": 0.25,
    "retry_interval": 5.0,
    "pool_size": 16,
    "on_store_error": "local",
}


class Store(Protocol):
    """Where GCRA state lives: :class:`MemoryStore` or :class:`RedisStore`."""

    def hit(
        self, buckets: Sequence[str], rates: Sequence[Rates], argv: Sequence[int]
    ) -> Verdict | None: ...

    def hit_one(self, bucket: str, rates: Rates, argv: Sequence[int]) -> Verdict | None: ...


class Stores:
    """Every store of one app (``app.state.ratelimit``), shared by paths configured alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.memory: dict[int, MemoryStore] = {}
        self.redis: dict[tuple[Any, ...], RedisStore] = {}
        self._probes: list[str] = []

    def store_for(self, options: RateLimitOptions) -> Store:
        """The store these options describe, created (not yet connected) on first use."""
        with self._lock:
            if options.storage == "memory":
                memory = self.memory.get(options.max_keys)
                if memory is None:
                    memory = self.memory[options.max_keys] = MemoryStore(options.max_keys)
                return memory
            identity = (
                options.url,
                options.timeout,
                options.retry_interval,
                options.pool_size,
                options.on_store_error,
                options.max_keys,
            )
            store = self.redis.get(identity)
            if store is None:
                store = RedisStore(
                    options.url,
                    timeout=options.timeout,
                    retry_interval=options.retry_interval,
                    pool_size=options.pool_size,
                    on_store_error=options.on_store_error,
                    fallback=MemoryStore(options.max_keys),
                )
                store.open()  # builds the pool; the first request connects
                self.redis[identity] = store
            return store

    def start(self, app: pegboard.App) -> None:
        with self._lock:
            for store in self.redis.values():
                if store.client is None:
                    store.open()
                name = store.name
                if name in self._probes:
                    name = f"{name} ({len(self._probes) + 1})"
                self._probes.append(name)
                app.add_health_probe(name, store.health)

    def stop(self, app: pegboard.App) -> None:
        with self._lock:
            for store in self.redis.values():
                store.close()
                store.fallback.clear()
            for memory in self.memory.values():
                memory.clear()
            for name in self._probes:
                app.remove_health_probe(name)
            self._probes.clear()


def stores_of(app: pegboard.App) -> Stores | None:
    """The stores of ``app`` (None before the tool attached anywhere)."""
    stores: Stores | None = app.state.get(STATE_NAME)
    return stores


class _Stage:
    """The groups counted at one hookpoint, with their store (bound to the hook)."""

    __slots__ = ("argv", "first", "groups", "headers", "rates", "store")

    def __init__(
        self, groups: tuple[Group, ...], store: Store, headers: bool, *, first: bool
    ) -> None:
        self.groups = groups
        self.store = store
        self.headers = headers
        #: the first stage of the request: no state to add to yet
        self.first = first
        self.rates: tuple[Rates, ...] = tuple(g.rates for g in groups)
        self.argv = argv_of(self.rates)


def _count(req: Request, resp: Response, stage: _Stage) -> None:
    """Count the request under each group's key; 429 when a limit refuses it."""
    if req.handler is None:
        return  # an earlier tool answered (a CORS preflight, a redirect): nothing to protect
    groups = stage.groups
    counted: Counted = []
    try:
        if len(groups) == 1:
            # PERF: the usual case, one key: no lists to build or filter.
            group = groups[0]
            value = group.read(req)
            if value is None:
                return
            verdict = stage.store.hit_one(group.prefix + value, group.rates, stage.argv)
            if verdict is None:
                _uncounted(req, stage)
                return
            counted.append((group, verdict[1]))
        else:
            present, buckets = [], []
            for group in groups:
                value = group.read(req)
                if value is not None:
                    present.append(group)
                    buckets.append(group.prefix + value)
            if not present:
                return
            if len(present) == len(groups):
                rates, argv = stage.rates, stage.argv
            else:
                rates = tuple(g.rates for g in present)
                argv = argv_of(rates)
            verdict = stage.store.hit(buckets, rates, argv)
            if verdict is None:
                _uncounted(req, stage)
                return
            results, offset = verdict[1], 0
            for group in present:
                size = len(group.limits)
                counted.append((group, results[offset : offset + size]))
                offset += size
    except StoreUnavailable as exc:
        raise HTTPError(
            503,
            "The rate limit store is unavailable; try again shortly.",
            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        ) from None
    if stage.first:
        state = req.state.ratelimit = RateLimitState(counted)
    else:
        state = req.state.get(STATE_NAME)
        if state is None:
            state = req.state.ratelimit = RateLimitState(counted)
        else:
            for entry in counted:
                state.add(*entry)
    if not verdict[0]:
        state.limited = True
        retry = state.retry_after()
        headers = [("Retry-After", str(retry))]
        if stage.headers:
            headers.append(("RateLimit-Policy", state.policy_field()))
            headers.append(("RateLimit", state.limit_field()))
        unit = "second" if retry == 1 else "seconds"
        raise HTTPError(429, f"Too many requests: try again in {retry} {unit}.", headers=headers)


def _uncounted(req: Request, stage: _Stage) -> None:
    """The store failed and lets the request through: say so in its state."""
    state: RateLimitState | None = None if stage.first else req.state.get(STATE_NAME)
    if state is None:
        state = req.state.ratelimit = RateLimitState()
    state.uncounted = True


def _write_headers(req: Request, resp: Response) -> None:
    """RateLimit-Policy and RateLimit for the limits counted (a 429 carries its own)."""
    state: RateLimitState | None = req.state.get(STATE_NAME)
    if state is None or state.limited or state.uncounted:
        return
    policy = state.policy_field()
    if policy:
        headers = resp.headers
        headers.set_trusted("RateLimit-Policy", policy, "ratelimit-policy")
        headers.set_trusted("RateLimit", state.limit_field(), "ratelimit")


class RateLimitTool(pegboard.Tool[RateLimitOptions]):
    """Rate limits (GCRA) per client, user, route or key function; 429 with RateLimit fields."""

    hooks = (
        HookDoc(
            "on_start_resource",
            COUNT_PRIORITY,
            "counts limits per ip, route or key function; 429 before the body, the session "
            "or a password check",
        ),
        HookDoc(
            "before_handler",
            LOGIN_PRIORITY,
            "counts limits per user (and `after_login` key functions) once `req.login` is set; 429",
        ),
        HookDoc(
            "before_finalize",
            HEADERS_PRIORITY,
            "writes RateLimit-Policy and RateLimit, after caching stored the response",
        ),
    )

    def __init__(self) -> None:
        super().__init__("ratelimit", point="on_start_resource", priority=COUNT_PRIORITY)

    def check(self, options: RateLimitOptions, section: str) -> None:
        if options.storage == "redis":
            missing = pegboard.missing_extra("redis", "ratelimit-redis")
            if missing:
                raise pegboard.OptionError("storage", f"the redis storage {missing}")

    def attach(self, plan: PlanBuilder, options: RateLimitOptions) -> None:
        assert plan.app is not None
        limits = options.parsed_limits()
        groups = group_limits(
            limits,
            scope=options.scope,
            key_prefix=options.key_prefix,
            ipv6_prefix=options.ipv6_prefix,
        )
        store = plan.app.state.setdefault(STATE_NAME, Stores).store_for(options)
        late = tuple(g for g in groups if _after_login(g, options))
        early = tuple(g for g in groups if g not in late)
        if early:
            plan.add(
                "on_start_resource",
                _count,
                self.priority,
                args=(_Stage(early, store, options.headers, first=True),),
            )
        if late:
            plan.add(
                "before_handler",
                _count,
                LOGIN_PRIORITY,
                args=(_Stage(late, store, options.headers, first=not early),),
            )
        if options.headers:
            plan.add("before_finalize", _write_headers, HEADERS_PRIORITY)
        self._warn(plan, options, groups)

    @staticmethod
    def _warn(plan: PlanBuilder, options: RateLimitOptions, groups: tuple[Group, ...]) -> None:
        if options.storage == "memory":
            for name, default in _REDIS_ONLY.items():
                if getattr(options, name) != default:
                    plan.warn(
                        f"{name} is for the redis storage; the memory storage ignores it",
                        key=f"tools.ratelimit.{name}",
                    )
        if options.after_login and all(isinstance(g.key, str) for g in groups):
            plan.warn(
                "after_login moves key functions only, and no limit here has one",
                key="tools.ratelimit.after_login",
            )
        if any(g.key == "user" for g in groups) and not plan.tools_on & _LOGIN_TOOLS:
            plan.warn(
                "limits per user need req.login, and no auth tool (auth_basic, auth_digest, "
                "session_auth) is on here: unless a hook of yours sets it, every request "
                "is counted by its address",
                key="tools.ratelimit.limits",
            )

    def start(self, app: pegboard.App) -> None:
        stores = stores_of(app)
        if stores is not None:
            stores.start(app)

    def stop(self, app: pegboard.App) -> None:
        stores = stores_of(app)
        if stores is not None:
            stores.stop(app)


def _after_login(group: Group, options: RateLimitOptions) -> bool:
    if group.key == "user":
        return True
    return options.after_login and not isinstance(group.key, str)
