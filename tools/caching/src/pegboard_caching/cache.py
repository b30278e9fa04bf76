"""The response cache of one configured path: its hooks, its lock, its store.

``lookup`` (before_handler, priority 20) answers a hit before the handler
runs, or prepares a miss: it takes the anti-stampede lock, removes the
client's validators (so a full response can be stored; they are applied again
afterwards) and wraps the handler to learn whether it returned normally.
``store`` (before_finalize, priority 90, after etags and gzip) stores what
the other tools produced. ``on_error`` (after_error_response) serves a stale
response under ``stale-if-error``. ``finish`` (on_end_resource, failsafe,
attached per request by a miss holding the lock) releases it on every way out.
"""

from __future__ import annotations

import io
import logging
import math
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pegboard import HTTPRedirect

from .answers import answer_validators, serve_entry
from .backends.base import BackendSettings, CacheBackend
from .entries import build_entry
from .keys import lock_key, origin_of, record_key, tag_key, variant_key, vary_values
from .records import CachedResponse, VaryRecord

if TYPE_CHECKING:
    from pegboard import Request, Response

    from .runtime import Runtime

__all__ = ["REFRESH_ENVIRON", "CacheSettings", "ResponseCache"]

log = logging.getLogger("pegboard.caching")

#: environ key marking the background request that refreshes a stale entry
REFRESH_ENVIRON = "pegboard_caching.refresh"
_STATE = "_pegboard_caching"

# What a request is to the cache.
_PASS, _MISS, _HIT, _INVALIDATE = range(4)

_BYPASS_DOWN = "pegboard; fwd=bypass; detail=backend-down"
_SERVER_ERRORS = frozenset({500, 502, 503, 504})
#: statuses whose responses have no body: left to the core's own rules (lookup())
_NO_BODY = frozenset({204, 304, *range(100, 200)})
#: how long a Vary record outlives the variant stored with it (other variants may live longer)
_VARY_RECORD_TTL = 3600.0
_REFRESH_LOCK_TTL = 5.0
#: priority of the per-request hook that releases a held lock (on_end_resource, failsafe)
RELEASE_PRIORITY = 10


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """The validated ``tools.caching.*`` options of one path."""

    backend: BackendSettings
    delay: float = 600.0
    maxobj_size: int = 100_000
    antistampede_timeout: float = 5.0
    invalid_methods: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    key_prefix: str = "pegboard-cache:"
    retry_interval: float = 5.0
    store_errors: bool = False


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

    ``backend`` and ``runtime`` are set when the app starts (or on the first
    request of a route added later), per app.
    """

    def __init__(self, settings: CacheSettings) -> None:
        self.settings = settings
        self.backend: CacheBackend | None = None
        self.runtime: Runtime | None = None

    def __repr__(self) -> str:
        return f"<ResponseCache {self.settings.backend.name} {self.settings.key_prefix!r}>"

    # -- binding and health ------------------------------------------------------

    def _bind(self, app: Any) -> CacheBackend:
        from .runtime import runtime_for

        return runtime_for(app).bind(self)

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
                self.settings.retry_interval,
            )
        backend.down_until = now + self.settings.retry_interval

    def _recovered(self, backend: CacheBackend) -> None:
        backend.down_until = 0.0
        log.info("cache backend %r answers again; caching resumed", backend.settings.name)

    # -- before_handler: hits, and preparing misses -------------------------------

    def lookup(self, req: Request, resp: Response) -> None:
        """Serve a hit (``req.handler = None``) or prepare the miss."""
        if req.handler is None:
            return  # an earlier handler tool answered (an early 304, say): leave it be
        method = req.method
        if method != "GET" and method != "HEAD":
            if method in self.settings.invalid_methods:
                req.__dict__[_STATE] = _State(_INVALIDATE, "")
            resp.headers["Cache-Status"] = "pegboard; fwd=method"
            return
        backend = self.backend
        if backend is None:
            backend = self._bind(req.app)
        if backend.down_until != 0.0 and not backend.usable():
            resp.headers["Cache-Status"] = _BYPASS_DOWN
            return
        env = req.environ
        if "HTTP_RANGE" in env:
            resp.headers["Cache-Status"] = "pegboard; fwd=request; detail=range"
            return
        prefix = self.settings.key_prefix
        key = record_key(
            prefix, req.script_name + req.path, env.get("QUERY_STRING"), origin_of(env)
        )
        refresh = env.get(REFRESH_ENVIRON)
        if refresh is not None:
            # The background refresh of a stale entry: it already holds the lock.
            state = _State(_PASS, key)
            req.__dict__[_STATE] = state
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
        req.__dict__[_STATE] = state
        if method == "GET" and self.settings.antistampede_timeout > 0:
            try:
                served = not self._lead_or_wait(req, resp, state, backend)
            except Exception as exc:
                self._failed(backend, exc)
                del req.__dict__[_STATE]
                resp.headers["Cache-Status"] = _BYPASS_DOWN
                return
            if served:
                return
        self._prepare_miss(req, state)

    def quick(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The plain fresh hit, answered before the core builds a request (a quick answer).

        Only the common case is answered here: GET or HEAD, no Range, no
        validators, an ASCII path, a healthy backend, a fresh entry with a body.
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
        path = environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO") or "/")
        if not path.isascii():
            return None  # the core decodes it first; lookup() sees the decoded path
        key = record_key(
            self.settings.key_prefix, path, environ.get("QUERY_STRING"), origin_of(environ)
        )
        try:
            entry, _ = self._find(backend, key, environ)
        except Exception:
            return None  # lookup() meets the same failure and steps aside from the backend
        if entry is None or entry.status in _NO_BODY:
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
        timeout = self.settings.antistampede_timeout
        lock = lock_key(self.settings.key_prefix, state.key)
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
        lock = lock_key(self.settings.key_prefix, key)
        try:
            token = backend.acquire_lock(
                lock, self.settings.antistampede_timeout or _REFRESH_LOCK_TTL
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
        state: _State | None = req.__dict__.get(_STATE)
        if state is None or state.mode == _HIT:
            return
        backend = self.backend
        if backend is None:
            return  # the app stopped while this request ran
        if state.mode == _INVALIDATE:
            if resp.status < 400:
                self._invalidate(req, resp, backend)
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
            entry = build_entry(req, resp, answered, self.settings, self._clock())
        except BaseException:
            self._release(state, backend)
            raise
        if isinstance(entry, str):
            detail = entry
        else:
            try:
                self._write(backend, state, entry, getattr(resp, "cache_tags", None))
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
        self, backend: CacheBackend, state: _State, entry: CachedResponse, tags: Any
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
            prefix = self.settings.key_prefix
            for tag in tags:
                backend.index_add(tag_key(prefix, str(tag)), key, max(keep, _VARY_RECORD_TTL))

    def _serve_stale(self, req: Request, resp: Response, state: _State) -> None:
        entry = state.stale
        assert entry is not None
        age = entry.age(self._clock())
        status = f"pegboard; hit; ttl={math.floor(entry.lifetime - age)}; detail=stale-if-error"
        serve_entry(req, resp, entry, age, status, (state.inm, state.ims))

    def _invalidate(self, req: Request, resp: Response, backend: CacheBackend) -> None:
        """RFC 9111 section 4.4: an unsafe method that succeeded drops the URL's stored responses.

        ``Location`` and ``Content-Location`` on the same origin are dropped too.
        """
        env = req.environ
        origin = origin_of(env)
        prefix = self.settings.key_prefix
        keys = [record_key(prefix, req.script_name + req.path, env.get("QUERY_STRING", ""), origin)]
        for name in ("Location", "Content-Location"):
            value = resp.headers.get(name)
            if value:
                parts = urlsplit(value)
                host = env.get("HTTP_HOST") or env.get("SERVER_NAME", "")
                if (not parts.netloc or parts.netloc == host) and parts.path.startswith("/"):
                    keys.append(record_key(prefix, parts.path, parts.query, origin))
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
        state: _State | None = req.__dict__.get(_STATE)
        if state is not None and state.token is not None and self.backend is not None:
            self._release(state, self.backend)

    def on_error(self, req: Request, resp: Response) -> None:
        """after_error_response: serve a stale response (``stale-if-error``); release the lock."""
        state: _State | None = req.__dict__.get(_STATE)
        if state is None:
            return
        if state.mode == _MISS and state.stale is not None:
            self._serve_stale(req, resp, state)
        if state.token is not None and self.backend is not None:
            self._release(state, self.backend)  # waiters need not wait for the end of the request

    # -- purging ------------------------------------------------------------------------

    def purge_prefix(self, path: str) -> int:
        """Drop every URL whose path starts with ``path``; the number of URLs dropped."""
        from .keys import path_prefix

        backend = self.backend
        if backend is None:
            return 0
        keys = backend.scan(path_prefix(self.settings.key_prefix, path))
        backend.delete(keys)
        return sum(1 for k in keys if "#" not in k)

    def purge_tag(self, tag: str) -> int:
        """Drop every URL stored with ``tag`` in ``resp.cache_tags``; the number dropped."""
        backend = self.backend
        if backend is None:
            return 0
        keys = backend.index_pop(tag_key(self.settings.key_prefix, tag))
        backend.delete(keys)
        return len(keys)


def iter_caches(callbacks: Iterable[Callable[..., Any]]) -> Iterator[ResponseCache]:
    """The ResponseCache objects behind a plan's hook callbacks."""
    for callback in callbacks:
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, ResponseCache):
            yield owner
