"""The response cache of one configured path: its hooks, its lock, its store.

``lookup`` (before_handler, priority 20) answers a hit before the handler
runs, or prepares a miss: it takes the anti-stampede lock, removes the
client's validators (so a full response can be stored; they are applied again
afterwards) and wraps the handler to learn whether it returned normally.
``store`` (before_finalize, priority 90, after etags and gzip) stores what
the other tools produced. ``on_error`` (after_error_response) serves a stale
response under ``stale-if-error``. ``finish`` (on_end_resource, failsafe,
attached per request by a miss holding the lock) releases it on every way out.
What the cache learns about a request between its hooks is kept in
``req.state.caching``.
"""

from __future__ import annotations

import io
import logging
import math
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pegboard import App, Hook, HTTPRedirect, Request, Response
from pegboard.httputil import NO_BODY_STATUSES

from .answers import answer_validators, serve_entry
from .backends.base import CacheBackend
from .entries import build_entry
from .keys import (
    lock_key,
    prefix_forms,
    record_key,
    request_key,
    tag_key,
    target_forms,
    variant_key,
    vary_values,
)
from .records import CachedResponse, VaryRecord
from .runtime import Runtime, runtime_of
from .tags import response_tags

if TYPE_CHECKING:
    from .options import CachingOptions

__all__ = ["REFRESH_ENVIRON", "ResponseCache", "iter_caches"]

log = logging.getLogger("pegboard.caching")

#: environ key marking the background request that refreshes a stale entry
REFRESH_ENVIRON = "pegboard_caching.refresh"
#: the name of the cache's per-request state in ``req.state``
_STATE = "caching"

# What a request is to the cache.
_PASS, _MISS, _HIT, _INVALIDATE = range(4)

_BYPASS_DOWN = "pegboard; fwd=bypass; detail=backend-down"
_NOT_A_PATH = "pegboard; fwd=request; detail=target"
_SERVER_ERRORS = frozenset({500, 502, 503, 504})
#: how long a Vary record outlives the variant stored with it (other variants may live longer)
_VARY_RECORD_TTL = 3600.0
_REFRESH_LOCK_TTL = 5.0
#: priority of the per-request hook that releases a held lock (on_end_resource, failsafe)
RELEASE_PRIORITY = 10


class _State:
    """What the cache knows about one request, kept on it between hooks."""

    __slots__ = ("fwd", "ims", "inm", "key", "lock", "mode", "outcome", "stale", "token")

    def __init__(self, mode: int, key: str) -> None:
        self.mode = mode
        self.key = key
        self.fwd = "uri-miss"
        self.lock = ""
        self.token: str | None = None
        self.outcome = False
        self.stale: CachedResponse | None = None
        self.inm: str | None = None
        self.ims: str | None = None


def _refresh(app: Any, environ: dict[str, Any]) -> None:
    """Run one request through ``app`` in the background, discarding the answer."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return lambda data: None

    try:
        result = app(environ, start_response)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception:
        log.exception("refreshing %s in the background failed", environ.get("PATH_INFO"))


class ResponseCache:
    """The cache of one configured path; its bound methods are the tool's hooks.

    ``backend`` and ``runtime`` are set when the app starts
    (``CachingTool.start``), or on the first request of a route added later.
    """

    def __init__(self, options: CachingOptions) -> None:
        self.options = options
        #: the store these options name (paths with equal ones share a backend)
        self.backend_settings = options.store
        self.backend: CacheBackend | None = None
        self.runtime: Runtime | None = None

    def __repr__(self) -> str:
        return f"<ResponseCache {self.backend_settings.name} {self.options.key_prefix!r}>"

    # -- binding and health ------------------------------------------------------

    def _bind(self, app: App) -> CacheBackend | None:
        """The app's backend for this cache (a route added after start), or None if stopped."""
        runtime = runtime_of(app)
        return None if runtime is None else runtime.bind(self)

    def _clock(self) -> float:
        runtime = self.runtime
        return runtime.clock() if runtime is not None else time.time()

    def _failed(self, backend: CacheBackend, exc: BaseException) -> None:
        """Step aside from a failing backend for ``retry_interval`` seconds, and say so once."""
        now = time.monotonic()
        if backend.down_until == 0.0 or now >= backend.down_until:
            log.warning(
                "cache backend %r is unavailable (%s: %s); serving uncached for %.1f s",
                backend.settings.name,
                type(exc).__name__,
                exc,
                self.options.retry_interval,
            )
        backend.down_until = now + self.options.retry_interval
        if backend.down_since is None:
            backend.down_since = time.time()
        backend.last_error = f"{type(exc).__name__}: {exc}"

    def _recovered(self, backend: CacheBackend) -> None:
        backend.down_until = 0.0
        backend.down_since = None
        backend.up_since = time.time()
        log.info("cache backend %r answers again; caching resumed", backend.settings.name)

    # -- before_handler: hits, and preparing misses -------------------------------

    def lookup(self, req: Request, resp: Response) -> None:
        """Serve a hit (``req.handler = None``) or prepare the miss."""
        if req.handler is None:
            return  # an earlier handler tool answered (an early 304, say): leave it be
        method = req.method
        if method != "GET" and method != "HEAD":
            if method in self.options.invalid_methods:
                key = request_key(self.options.key_prefix, req.environ)
                if key is not None:
                    if self.backend is None:
                        self._bind(req.app)
                    req.state.caching = _State(_INVALIDATE, key)
            resp.headers["Cache-Status"] = "pegboard; fwd=method"
            return
        backend = self.backend
        if backend is None:
            backend = self._bind(req.app)
            if backend is None:
                return  # the app is stopping: serve uncached
        if backend.down_until != 0.0 and not backend.usable():
            resp.headers["Cache-Status"] = _BYPASS_DOWN
            return
        env = req.environ
        if "HTTP_RANGE" in env:
            resp.headers["Cache-Status"] = "pegboard; fwd=request; detail=range"
            return
        prefix = self.options.key_prefix
        key = request_key(prefix, env)
        if key is None:
            resp.headers["Cache-Status"] = _NOT_A_PATH
            return
        refresh = env.get(REFRESH_ENVIRON)
        if refresh is not None:
            # The background refresh of a stale entry: it already holds the lock.
            state = _State(_PASS, key)
            req.state.caching = state
            state.fwd = "stale"
            self._hold(req, state, lock_key(prefix, key), refresh)
            self._prepare_miss(req, state)
            return
        try:
            entry, fwd = self._find(backend, key, env)
        except Exception as exc:
            self._failed(backend, exc)
            resp.headers["Cache-Status"] = _BYPASS_DOWN
            return
        if backend.down_until != 0.0:
            self._recovered(backend)
        stale = None
        if entry is not None:
            runtime = self.runtime
            age = entry.age(runtime.clock() if runtime is not None else time.time())
            ttl = entry.lifetime - age
            if ttl > 0:
                # PERF: the hit path: no per-request state, one clock read.
                serve_entry(req, resp, entry, age, f"pegboard; hit; ttl={int(ttl)}")
                return
            if not entry.must_revalidate:
                if -ttl <= entry.stale_while_revalidate:
                    detail = "detail=stale-while-revalidate"
                    serve_entry(
                        req, resp, entry, age, f"pegboard; hit; ttl={math.floor(ttl)}; {detail}"
                    )
                    self._refresh_later(req, key, backend)
                    return
                if -ttl <= entry.stale_if_error:
                    stale = entry
            fwd = "stale"
        state = _State(_PASS, key)
        state.fwd, state.stale = fwd, stale
        req.state.caching = state
        if method == "GET" and self.options.antistampede_timeout > 0:
            try:
                served = not self._lead_or_wait(req, resp, state, backend)
            except Exception as exc:
                self._failed(backend, exc)
                del req.state.caching
                resp.headers["Cache-Status"] = _BYPASS_DOWN
                return
            if served:
                return
        self._prepare_miss(req, state)

    def quick(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The plain fresh hit, answered before the core builds a request (a quick answer).

        Only the common case is answered here: GET or HEAD, no Range, no
        validators, a healthy backend, a fresh entry with a body.
        Everything else returns None and goes through :meth:`lookup`, which
        answers it the same way (``tests/tools/caching`` compares the two).
        """
        method = environ["REQUEST_METHOD"]
        if method != "GET" and method != "HEAD":
            return None
        backend = self.backend
        if (
            backend is None
            or backend.down_until != 0.0
            or "HTTP_IF_NONE_MATCH" in environ
            or "HTTP_IF_MODIFIED_SINCE" in environ
            or "HTTP_RANGE" in environ
            or REFRESH_ENVIRON in environ
        ):
            return None
        key = request_key(self.options.key_prefix, environ)
        if key is None:
            return None
        try:
            entry, _ = self._find(backend, key, environ)
        except Exception:
            return None  # lookup() meets the same failure and steps aside from the backend
        if entry is None or entry.status in NO_BODY_STATUSES:
            return None
        age = entry.age(self._clock())
        ttl = entry.lifetime - age
        if ttl <= 0:
            return None
        head, tail = entry.wsgi_headers()
        return (
            entry.status,
            [
                *head,
                ("Age", str(int(age))),
                ("Cache-Status", f"pegboard; hit; ttl={int(ttl)}"),
                *tail,
            ],
            entry.body,
        )

    def _find(
        self, backend: CacheBackend, key: str, env: dict[str, Any]
    ) -> tuple[CachedResponse | None, str]:
        """The stored response selected for this request, or None and why not (RFC 9211 fwd)."""
        record = backend.get(key)
        if record is None:
            return None, "uri-miss"
        if isinstance(record, VaryRecord):
            values = vary_values(env, record.names)
            entry = backend.get(variant_key(key, record.generation, values))
            if (
                not isinstance(entry, CachedResponse)
                or entry.vary != record.names
                or entry.vary_values != values
            ):
                return None, "vary-miss"
            return entry, ""
        if record.vary:
            return None, "vary-miss"
        return record, ""

    def _lead_or_wait(
        self, req: Request, resp: Response, state: _State, backend: CacheBackend
    ) -> bool:
        """Take the key's lock, or wait for its holder and serve what it stored.

        False when this request was answered from the cache after waiting.
        """
        timeout = self.options.antistampede_timeout
        lock = lock_key(self.options.key_prefix, state.key)
        token = backend.acquire_lock(lock, timeout)
        if token is not None:
            self._hold(req, state, lock, token)
            return True
        backend.wait_for_unlock(lock, timeout)
        entry, _ = self._find(backend, state.key, req.environ)
        if entry is not None:
            age = entry.age(self._clock())
            ttl = entry.lifetime - age
            if ttl > 0:
                serve_entry(req, resp, entry, age, f"pegboard; hit; collapsed; ttl={int(ttl)}")
                state.mode = _HIT
                return False
        # Nothing usable was stored (an error, or an uncacheable answer): run the handler.
        return True

    def _hold(self, req: Request, state: _State, lock: str, token: str) -> None:
        """Record the lock this request holds; it is released on every way out.

        ``store`` releases it as soon as the response is stored; the hook added
        here (on_end_resource, failsafe, for this request only) covers the
        ways out that skip ``store``: an error in an earlier before_finalize hook.
        """
        state.lock, state.token = lock, token
        req.attach_hook("on_end_resource", self.finish, RELEASE_PRIORITY, True)

    def _prepare_miss(self, req: Request, state: _State) -> None:
        if req.method != "GET":
            return  # HEAD: answered from a stored GET, never stored itself
        state.mode = _MISS
        env = req.environ
        # Validators go, so the handler produces a full response worth storing;
        # ``store`` answers 304 from them afterwards.
        state.inm = env.pop("HTTP_IF_NONE_MATCH", None)
        state.ims = env.pop("HTTP_IF_MODIFIED_SINCE", None)
        inner = req.handler
        if inner is None:
            return

        def handler(req: Request, resp: Response, **params: Any) -> Any:
            try:
                result = inner(req, resp, **params)
            except HTTPRedirect:
                state.outcome = True  # a redirect is an answer, not an error
                raise
            state.outcome = True
            return result

        req.handler = handler

    def _refresh_later(self, req: Request, key: str, backend: CacheBackend) -> None:
        """Refresh a stale entry in the background, once across every waiting request."""
        runtime = self.runtime
        if runtime is None:
            return
        lock = lock_key(self.options.key_prefix, key)
        try:
            token = backend.acquire_lock(
                lock, self.options.antistampede_timeout or _REFRESH_LOCK_TTL
            )
        except Exception as exc:
            self._failed(backend, exc)
            return
        if token is None:
            return  # somebody is refreshing it already
        env = dict(req.environ)
        for name in (
            "HTTP_IF_NONE_MATCH",
            "HTTP_IF_MODIFIED_SINCE",
            "CONTENT_LENGTH",
            "wsgi.file_wrapper",
        ):
            env.pop(name, None)
        env.update(
            {
                "REQUEST_METHOD": "GET",
                "wsgi.input": io.BytesIO(b""),
                "wsgi.errors": sys.stderr,
                REFRESH_ENVIRON: token,
            }
        )
        if not runtime.submit(_refresh, req.app, env):
            state = _State(_PASS, key)
            state.lock, state.token = lock, token
            self._release(state, backend)

    # -- before_finalize: storing ------------------------------------------------------

    def store(self, req: Request, resp: Response) -> None:
        """Store the response of a miss when RFC 9111 allows it; invalidate after unsafe methods."""
        state: _State | None = req.state.get(_STATE)
        if state is None or state.mode == _HIT:
            return
        backend = self.backend
        if backend is None:
            return  # the app stopped while this request ran
        if state.mode == _INVALIDATE:
            if resp.status < 400:
                self._invalidate(state, resp, backend)
            return
        if state.mode == _PASS:
            resp.headers["Cache-Status"] = f"pegboard; fwd={state.fwd}"
            return
        if state.stale is not None and resp.status in _SERVER_ERRORS:
            self._serve_stale(req, resp, state)
            self._release(state, backend)
            return
        try:
            # Reading a streamed body runs the handler's generator: its errors are
            # the request's, not the backend's, so they propagate.
            answered = state.outcome or req.handler is None
            entry = build_entry(req, resp, answered, self.options, self._clock())
        except BaseException:
            self._release(state, backend)
            raise
        if isinstance(entry, str):
            detail = entry
        else:
            try:
                self._write(backend, state, entry, response_tags(resp))
                detail = ""
            except Exception as exc:
                self._failed(backend, exc)
                detail = "backend-down"
        self._release(state, backend)
        if detail:
            resp.headers["Cache-Status"] = f"pegboard; fwd={state.fwd}; detail={detail}"
        else:
            resp.headers["Cache-Status"] = f"pegboard; fwd={state.fwd}; stored"
        if (state.inm is not None or state.ims is not None) and 200 <= resp.status < 300:
            answer_validators(resp, state.inm, state.ims)

    def _write(
        self, backend: CacheBackend, state: _State, entry: CachedResponse, tags: list[str]
    ) -> None:
        """Put ``entry`` (and its Vary record and tag indexes) in the store."""
        keep = entry.lifetime + max(entry.stale_while_revalidate, entry.stale_if_error)
        key = state.key
        if entry.vary:
            current = backend.get(key)
            generation = (
                current.generation if isinstance(current, VaryRecord) else secrets.token_hex(4)
            )
            # The variant first: a reader that finds the record must find its variant.
            backend.put(variant_key(key, generation, entry.vary_values), entry, keep)
            backend.put(key, VaryRecord(entry.vary, generation), max(keep, _VARY_RECORD_TTL))
        else:
            backend.put(key, entry, keep)
        if state.fwd == "uri-miss":
            backend.remember(key, keep)
        if tags:
            prefix = self.options.key_prefix
            for tag in tags:
                backend.index_add(tag_key(prefix, tag), key, max(keep, _VARY_RECORD_TTL))

    def _serve_stale(self, req: Request, resp: Response, state: _State) -> None:
        entry = state.stale
        assert entry is not None
        age = entry.age(self._clock())
        status = f"pegboard; hit; ttl={math.floor(entry.lifetime - age)}; detail=stale-if-error"
        serve_entry(req, resp, entry, age, status, (state.inm, state.ims))

    def _invalidate(self, state: _State, resp: Response, backend: CacheBackend) -> None:
        """RFC 9111 section 4.4: an unsafe method that succeeded drops the URL's stored responses.

        ``Location`` and ``Content-Location`` on the same origin are dropped too.
        """
        prefix = self.options.key_prefix
        origin = state.key[len(prefix) :].partition(" ")[2]  # the target holds no space
        keys = {state.key}
        for name in ("Location", "Content-Location"):
            value = resp.headers.get(name)
            reference = _same_origin_reference(value, origin) if value else None
            if reference is not None:
                keys.update(record_key(prefix, form, origin) for form in target_forms(reference))
        try:
            backend.delete(keys)
        except Exception as exc:
            self._failed(backend, exc)

    # -- always: releasing the lock; on errors: stale-if-error ----------------------------

    def _release(self, state: _State, backend: CacheBackend) -> None:
        token = state.token
        if token is None:
            return
        state.token = None
        try:
            backend.release_lock(state.lock, token)
        except Exception as exc:
            self._failed(backend, exc)

    def finish(self, req: Request, resp: Response) -> None:
        """on_end_resource (failsafe, attached per request): release a lock still held."""
        state: _State | None = req.state.get(_STATE)
        if state is not None and state.token is not None and self.backend is not None:
            self._release(state, self.backend)

    def on_error(self, req: Request, resp: Response) -> None:
        """after_error_response: serve a stale response (``stale-if-error``); release the lock."""
        state: _State | None = req.state.get(_STATE)
        if state is None:
            return
        if state.mode == _MISS and state.stale is not None:
            self._serve_stale(req, resp, state)
        if state.token is not None and self.backend is not None:
            self._release(state, self.backend)  # waiters need not wait for the end of the request

    # -- purging ------------------------------------------------------------------------

    def purge_prefix(self, path: str) -> int:
        """Drop every URL whose path starts with ``path``; the number of URLs dropped."""
        backend = self.backend
        if backend is None:
            return 0
        keys: set[str] = set()
        for prefix in prefix_forms(self.options.key_prefix, path):
            keys.update(backend.scan(prefix))
        backend.delete(keys)
        return sum(1 for k in keys if "#" not in k)

    def purge_tag(self, tag: str) -> int:
        """Drop every URL stored with ``tag`` in ``resp.cache_tags``; the number dropped."""
        backend = self.backend
        if backend is None:
            return 0
        keys = backend.index_pop(tag_key(self.options.key_prefix, tag))
        backend.delete(keys)
        return len(keys)


def iter_caches(hooks: Iterable[Hook]) -> Iterator[ResponseCache]:
    """The ResponseCache objects behind a plan's hooks."""
    for hook in hooks:
        owner = getattr(hook.callback, "__self__", None)
        if isinstance(owner, ResponseCache):
            yield owner


def _same_origin_reference(value: str, origin: str) -> str | None:
    """The path and query of a Location value that names ``origin``; None for another origin.

    Relative references other than an absolute path (``/x``) are left alone.
    """
    if value.startswith("/") and not value.startswith("//"):
        return value
    if value.startswith("//"):
        rest = value[2:]
        origin_rest = origin.partition("://")[2]
    else:
        scheme, sep, rest = value.partition("://")
        if not sep:
            return None
        origin_scheme, _, origin_rest = origin.partition("://")
        if scheme.lower() != origin_scheme:
            return None
    slash = rest.find("/")
    host, reference = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    if any(mark in host for mark in "?#"):
        return None
    same = host.lower() == origin_rest.lower()
    return (reference or "/") if same else None
