"""What ``tools.stats`` records per request: the hot path, kept flat.

Figures are kept per (route template, method) and, inside, per status class,
as plain lists of numbers in one shard per request thread: each thread writes
only its own shard, so the hot path takes no lock, and a report adds the
shards up. The shard of a thread that ended is folded into the recorder's
``retired`` figures, so threads that come and go cost no memory.
"""

from __future__ import annotations

import bisect
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import pegboard
from pegboard import HTTPError, HTTPRedirect

__all__ = [
    "BYTES_READ",
    "BYTES_WRITTEN",
    "ERRORS",
    "FIRST_BUCKET",
    "KNOWN_METHODS",
    "REQUESTS",
    "SECONDS",
    "Recorder",
    "Series",
    "Shard",
]

#: The methods that get a label of their own; any other is counted as "other" (a bound).
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}
)
#: Positions in a status class's list of figures; the histogram's buckets follow.
REQUESTS, ERRORS, BYTES_READ, BYTES_WRITTEN, SECONDS, FIRST_BUCKET = range(6)
#: The name hook times are filed under for hooks that name no tool.
UNNAMED_HOOKS = "(hooks of no tool)"
#: Where tools.stats keeps a request's start in ``req.state``.
STATE_NAME = "stats"
#: Where a sampled request collects its tools' hook times in ``req.state``.
HOOKS_STATE = "stats_hooks"
_STATUS_WITHOUT_BODY = frozenset({204, 304})
_perf_counter = time.perf_counter
_bisect = bisect.bisect_left


class Series:
    """The figures of one (route, method) in one shard: in flight, and per status class."""

    __slots__ = ("classes", "in_flight")

    def __init__(self) -> None:
        self.in_flight = 0
        #: index 1..5 (the status class): [requests, errors, bytes read, bytes written,
        #: seconds, bucket counts (not cumulative; the last is +Inf)], or None before use
        self.classes: list[list[float] | None] = [None] * 6


class Shard:
    """One thread's figures: series by (route, method), and sampled hook times."""

    __slots__ = ("__weakref__", "hooks", "sampled", "series")

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}
        #: (route, tool) -> [seconds, hook calls]
        self.hooks: dict[tuple[str, str], list[float]] = {}
        #: route -> sampled requests
        self.sampled: dict[str, int] = {}


class _Token:
    """Held only by a thread's local storage: its death tells the recorder the thread ended."""

    __slots__ = ("__weakref__",)


class _ThreadShard(threading.local):
    def __init__(self, recorder: Recorder) -> None:
        self.shard = recorder.new_shard(self)


class Recorder:
    """The request figures of one app (``app.state.stats``), shared by every route."""

    def __init__(self, buckets: tuple[float, ...], slow_count: int) -> None:
        self.buckets = buckets
        self.slow_count = slow_count
        #: recording on (False: paused, the hot path returns at once)
        self.enabled = True
        #: hook timing on (the "pegboard Tools" namespace can be paused on its own)
        self.hooks_enabled = True
        #: sampled requests in flight: while 0, the hook wrappers only call through
        self.sampling = 0
        self.started = time.time()
        self.lock = threading.Lock()
        self.shards: list[Shard] = []
        self.retired = Shard()
        self.slow: deque[dict[str, Any]] = deque(maxlen=max(slow_count, 1))
        self.local = _ThreadShard(self)

    # -- shards ---------------------------------------------------------------------

    def new_shard(self, local: _ThreadShard) -> Shard:
        """A shard for the calling thread, folded into ``retired`` when the thread ends."""
        shard = Shard()
        token = _Token()
        local.token = token  # freed with the thread's local storage
        weakref.finalize(token, self._retire, weakref.ref(shard))
        with self.lock:
            self.shards.append(shard)
        return shard

    def _retire(self, ref: weakref.ref[Shard]) -> None:
        shard = ref()
        if shard is None:
            return
        with self.lock:
            merge_shard(self.retired, shard, len(self.buckets) + 1)
            self.shards = [s for s in self.shards if s is not shard]

    def all_shards(self) -> Iterator[Shard]:
        with self.lock:
            shards = [self.retired, *self.shards]
        yield from shards

    def series_for(self, key: tuple[str, str]) -> Series:
        """The calling thread's series for ``key`` (created on first use)."""
        series_map = self.local.shard.series
        series = series_map.get(key)
        if series is None:
            series = series_map[key] = Series()
        return series

    # -- the slow requests -----------------------------------------------------------

    def add_slow(
        self,
        req: pegboard.Request,
        label: str,
        status: int,
        seconds: float,
        read: int,
        written: int | None,
    ) -> None:
        query = req.query_string
        line = f"{req.method} {req.path}{'?' + query if query else ''}"
        record = {
            "Request-Line": line[:300],
            "Route": label,
            "Response Status": status,
            "Processing Time": seconds,
            "Start Time": time.time() - seconds,
            "Client": req.remote.ip,
            "Bytes Read": read,
            "Bytes Written": "chunked" if written is None else written,
        }
        with self.lock:
            self.slow.append(record)

    # -- reading -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every figure (the tests' and the bench's clean slate)."""
        with self.lock:
            for shard in [self.retired, *self.shards]:
                shard.series.clear()
                shard.hooks.clear()
                shard.sampled.clear()
            self.slow.clear()
            self.started = time.time()


def merge_shard(into: Shard, shard: Shard, width: int) -> None:
    """Add ``shard``'s figures to ``into``."""
    for key, series in list(shard.series.items()):
        target = into.series.get(key)
        if target is None:
            target = into.series[key] = Series()
        target.in_flight += series.in_flight
        for index, counts in enumerate(list(series.classes)):
            if counts is None:
                continue
            mine = target.classes[index]
            if mine is None:
                mine = target.classes[index] = [0.0] * (FIRST_BUCKET + width)
            for position, value in enumerate(counts):
                mine[position] += value
    for hook_key, figures in list(shard.hooks.items()):
        own = into.hooks.setdefault(hook_key, [0.0, 0.0])
        own[0] += figures[0]
        own[1] += figures[1]
    for route, count in list(shard.sampled.items()):
        into.sampled[route] = into.sampled.get(route, 0) + count


# -- the hooks ---------------------------------------------------------------------------


class Sampler:
    """Which requests of a plan get their tools' hooks timed: one in ``every``."""

    __slots__ = ("countdown", "every")

    def __init__(self, every: int) -> None:
        self.every = every
        self.countdown = every


def start(
    req: pegboard.Request, resp: pegboard.Response, recorder: Recorder, unrouted: str
) -> None:
    """on_start_resource: note the start, count the request in flight, maybe sample it."""
    if not recorder.enabled:
        return
    route = req.route
    method = req.method
    key = (
        route.template if route is not None else unrouted,
        method if method in KNOWN_METHODS else "other",
    )
    # PERF: the calling thread's shard, no lock (series_for inlined).
    series_map = recorder.local.shard.series
    series = series_map.get(key)
    if series is None:
        series = series_map[key] = Series()
    series.in_flight += 1
    req.state.stats = (_perf_counter(), series, key[0])


def start_sampled(
    req: pegboard.Request,
    resp: pegboard.Response,
    recorder: Recorder,
    unrouted: str,
    sampler: Sampler,
) -> None:
    """``start``, and one request in ``sampler.every`` gets its tools' hooks timed."""
    start(req, resp, recorder, unrouted)
    sampler.countdown -= 1  # racy between threads: the rate is approximate, never wrong
    if sampler.countdown > 0 or not recorder.hooks_enabled:
        return
    sampler.countdown = sampler.every
    req.state.stats_hooks = {}
    with recorder.lock:
        recorder.sampling += 1
    req.attach_hook("on_end_request", _end_sampled, 10**6, True, recorder=recorder)


def _end_sampled(req: pegboard.Request, resp: pegboard.Response, recorder: Recorder) -> None:
    """on_end_request of a sampled request (per request, last): file its hook times."""
    times: dict[str, list[float]] | None = req.state.get(HOOKS_STATE)
    begun = req.state.get(STATE_NAME)
    with recorder.lock:
        recorder.sampling -= 1
    if times is None or begun is None:
        return
    label = begun[2]
    shard = recorder.local.shard
    shard.sampled[label] = shard.sampled.get(label, 0) + 1
    for tool, (seconds, calls) in times.items():
        figures = shard.hooks.get((label, tool))
        if figures is None:
            figures = shard.hooks[(label, tool)] = [0.0, 0.0]
        figures[0] += seconds
        figures[1] += calls


def finish(
    req: pegboard.Request, resp: pegboard.Response, recorder: Recorder, slow_threshold: float
) -> None:
    """on_end_resource (last): record the request, or hand a stream the job of doing it."""
    begun = req.state.get(STATE_NAME)
    if begun is None:
        return
    stream = resp.stream
    if stream is not None:
        length = resp.headers.get("Content-Length")
        wrapper = req.environ.get("wsgi.file_wrapper")
        if length is not None and isinstance(wrapper, type) and isinstance(stream, wrapper):
            # the server's own file wrapper: left untouched, so that sendfile still works
            record(req, resp, recorder, slow_threshold, begun, int(length))
        else:
            resp.stream = CountedStream(stream, req, resp, recorder, slow_threshold, begun)
        return
    record(req, resp, recorder, slow_threshold, begun, None)


def record(
    req: pegboard.Request,
    resp: pegboard.Response,
    recorder: Recorder,
    slow_threshold: float,
    begun: tuple[float, Series, str],
    written: int | None,
) -> None:
    """Add one finished request to its series."""
    seconds = _perf_counter() - begun[0]
    series = begun[1]
    status = resp.status
    if written is None:
        if req.method == "HEAD" or status in _STATUS_WITHOUT_BODY or status < 200:
            written = 0
        else:
            written = len(resp.body)
    length = req.environ.get("CONTENT_LENGTH")
    read = int(length) if length else 0
    index = status // 100
    if not 0 < index < 6:
        index = 5
    counts = series.classes[index]
    if counts is None:
        counts = series.classes[index] = [0.0] * (FIRST_BUCKET + len(recorder.buckets) + 1)
    counts[REQUESTS] += 1
    counts[BYTES_READ] += read
    counts[BYTES_WRITTEN] += written
    counts[SECONDS] += seconds
    counts[FIRST_BUCKET + _bisect(recorder.buckets, seconds)] += 1
    error = req.error
    if error is not None and not isinstance(error, (HTTPError, HTTPRedirect)):
        counts[ERRORS] += 1
    series.in_flight -= 1
    if slow_threshold and seconds > slow_threshold:
        recorder.add_slow(req, begun[2], status, seconds, read, written)


class CountedStream:
    """A response stream that counts what the server takes, and records at ``close()``."""

    __slots__ = ("begun", "iterator", "recorder", "req", "resp", "sent", "slow", "stream")

    def __init__(
        self,
        stream: Iterable[bytes],
        req: pegboard.Request,
        resp: pegboard.Response,
        recorder: Recorder,
        slow: float,
        begun: tuple[float, Series, str],
    ) -> None:
        self.stream = stream
        self.iterator = iter(stream)
        self.req, self.resp, self.recorder, self.slow, self.begun = req, resp, recorder, slow, begun
        self.sent = 0

    def __iter__(self) -> CountedStream:
        return self

    def __next__(self) -> bytes:
        chunk = next(self.iterator)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self.stream, "close", None)
            if close is not None:
                close()
        finally:
            begun, self.begun = self.begun, None  # type: ignore[assignment]
            if begun is not None:
                record(self.req, self.resp, self.recorder, self.slow, begun, self.sent)


def hook_timer(recorder: Recorder) -> pegboard.HookWrapper:
    """The ``plan.wrap_hooks`` wrapper: times each tool's hooks on sampled requests."""

    def wrap(hook: pegboard.Hook, call: Any) -> Any:
        if hook.source == "stats" or hook.callback is _end_sampled:
            return call  # its own hooks are what the other figures come from
        # A hook from config (hooks.<point>) or attached per request names no tool.
        tool = hook.source or UNNAMED_HOOKS

        def timed(req: Any, resp: Any) -> Any:
            # PERF: the common case, no request sampled anywhere: one attribute read.
            if not recorder.sampling:
                return call(req, resp)
            times: dict[str, list[float]] | None = req.state.get(HOOKS_STATE)
            if times is None:
                return call(req, resp)
            began = _perf_counter()
            try:
                return call(req, resp)
            finally:
                took = _perf_counter() - began
                figures = times.get(tool)
                if figures is None:
                    times[tool] = [took, 1]
                else:
                    figures[0] += took
                    figures[1] += 1

        timed.__name__ = getattr(call, "__name__", "hook")
        timed.__qualname__ = getattr(call, "__qualname__", "hook")
        return timed

    return wrap
