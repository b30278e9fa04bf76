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
    "PlanRecorder",
    "Recorder",
    "Series",
    "Shard",
    "timed_plan",
]

#: The methods that get a label of their own; any other is counted as "other" (a bound).
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}
)
#: Positions in a status class's list of figures; the histogram's buckets follow.
REQUESTS, ERRORS, BYTES_READ, BYTES_WRITTEN, SECONDS, FIRST_BUCKET = range(6)
#: The name hook times are filed under for hooks that name no tool.
UNNAMED_HOOKS = "(hooks of no tool)"
#: The key a sampled request's times keep the start of the other on_start_resource hooks at.
STARTING = "\0starting"
#: The environ key of a request's start and series (PERF: see PlanRecorder.start).
ENVIRON_KEY = "pegboard_stats.start"
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

    def counts(self, series: Series, index: int) -> list[float]:
        """The figures of ``series`` for status class ``index`` (a status past 599 is a 5xx)."""
        if not 0 < index < 6:
            index = 5
        counts = series.classes[index]
        if counts is None:
            counts = series.classes[index] = [0.0] * (FIRST_BUCKET + len(self.buckets) + 1)
        return counts

    # -- the slow requests -----------------------------------------------------------

    def add_slow(
        self,
        req: pegboard.Request,
        label: str,
        status: int,
        seconds: float,
        read: int,
        written: int,
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
            "Bytes Written": written,
        }
        with self.lock:
            self.slow.append(record)


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


class _PlanSeries(threading.local):
    """The calling thread's series of one plan, by method (a cache over its shard)."""

    def __init__(self) -> None:
        self.by_method: dict[str, Series] = {}


class PlanRecorder:
    """What ``tools.stats`` attaches to one plan: its hooks are this object's methods.

    PERF: bound methods without arguments are called by the plan as they are
    (no wrapper frame), and every per-plan constant (the route label, the
    sampling rate, the slow threshold) is an attribute here rather than an
    argument. A plan serves one route (or, unrouted, one config section), so
    its label is fixed; the series of each method is cached per thread.
    """

    __slots__ = (
        "compiled",
        "countdown",
        "every",
        "label",
        "local",
        "recorder",
        "slow_threshold",
        "starting",
        "timed",
        "unrouted",
    )

    def __init__(
        self, recorder: Recorder, unrouted: str, every: int, slow_threshold: float
    ) -> None:
        self.recorder = recorder
        self.unrouted = unrouted
        self.every = every
        self.countdown = every
        self.slow_threshold = slow_threshold
        #: the plan's route template (or the unrouted label), known at its first request
        self.label: str | None = None
        self.local = _PlanSeries()
        #: the plan last sampled, its timed copy, and the tools at its on_start_resource
        self.compiled: pegboard.Plan | None = None
        self.timed: pegboard.Plan | None = None
        self.starting = ""

    def _series(self, req: pegboard.Request) -> Series:
        """The slow path of ``start``: the first request of a method on this thread."""
        label = self.label
        if label is None:
            route = req.route
            label = self.label = route.template if route is not None else self.unrouted
        method = req.method
        known = method in KNOWN_METHODS
        series = self.recorder.series_for((label, method if known else "other"))
        if known:  # a bound: methods a client invents are not cached one by one
            self.local.by_method[method] = series
        return series

    def start(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """on_start_resource: note the start, count the request in flight, maybe sample it.

        PERF: the start is kept in the WSGI environ under this package's key
        (PEP 3333's place for per-request data of middleware), not in
        ``req.state``: that is a property call in each of the two hooks, a
        fifth of this tool's cost per request. Sampled requests use req.state.
        """
        if not self.recorder.enabled:
            # A copied environ (an internal redirect) must not carry the outer start here.
            req.environ[ENVIRON_KEY] = None
            return
        series = self.local.by_method.get(req.method) or self._series(req)
        series.in_flight += 1
        req.environ[ENVIRON_KEY] = (_perf_counter(), series)
        if self.every:
            self.countdown -= 1  # racy between threads: the rate is approximate, never wrong
            if self.countdown <= 0:
                self.countdown = self.every
                self._sample(req)

    def _sample(self, req: pegboard.Request) -> None:
        """Run this request on the timed copy of its plan (one request in ``every``).

        The on_start_resource hooks after this one still run from the compiled
        plan (the core is already running them): their time is taken as one
        figure, from here to the first timed hook, under their tools' names.
        """
        if not self.recorder.hooks_enabled:
            return
        plan = req.plan
        timed = self.timed
        if self.compiled is not plan or timed is None:
            timed = timed_plan(plan)
            self.compiled, self.timed, self.starting = plan, timed, _starting(plan)
        req.plan = timed
        req.attach_hook("on_end_request", self.file_hook_times, 10**6, True)
        times: dict[str, Any] = {}
        req.state.stats_hooks = times
        if self.starting:
            times[STARTING] = (_perf_counter(), self.starting)

    def file_hook_times(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """on_end_request of a sampled request (per request, last): file its hook times."""
        times: dict[str, Any] | None = getattr(req.state, HOOKS_STATE, None)
        label = self.label
        if times is None or label is None:
            return
        pending = times.pop(STARTING, None)
        if pending is not None:  # no timed hook ran after on_start_resource
            _add(times, pending[1], _perf_counter() - pending[0])
        shard = self.recorder.local.shard
        shard.sampled[label] = shard.sampled.get(label, 0) + 1
        for tool, (seconds, calls) in times.items():
            figures = shard.hooks.get((label, tool))
            if figures is None:
                figures = shard.hooks[(label, tool)] = [0.0, 0.0]
            figures[0] += seconds
            figures[1] += calls

    def finish(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """on_end_resource (last): record the request, or hand a stream the job of doing it."""
        begun = req.environ.get(ENVIRON_KEY)
        if begun is None:
            return
        stream = resp.stream
        if stream is None:
            # PERF: the common case, a bytes body, recorded here (record() inlined).
            seconds = _perf_counter() - begun[0]
            status = resp.status
            if req.method == "HEAD" or status in _STATUS_WITHOUT_BODY or status < 200:
                written = 0
            else:
                written = len(resp.body)
            length = req.environ.get("CONTENT_LENGTH")
            read = int(length) if length else 0
            index = status // 100
            series = begun[1]
            counts = series.classes[index] if 0 < index < 6 else None
            if counts is None:
                counts = self.recorder.counts(series, index)
            counts[REQUESTS] += 1
            counts[BYTES_READ] += read
            counts[BYTES_WRITTEN] += written
            counts[SECONDS] += seconds
            counts[FIRST_BUCKET + _bisect(self.recorder.buckets, seconds)] += 1
            error = req.error
            if error is not None and not isinstance(error, _CHOSEN):
                counts[ERRORS] += 1
            series.in_flight -= 1
            threshold = self.slow_threshold
            if threshold and seconds > threshold:
                self.recorder.add_slow(req, self.label or "", status, seconds, read, written)
            return
        length_header = resp.headers.get("Content-Length")
        wrapper = req.environ.get("wsgi.file_wrapper")
        if length_header is not None and isinstance(wrapper, type) and isinstance(stream, wrapper):
            # the server's own file wrapper: left untouched, so that sendfile still works
            self.record(req, resp, begun, int(length_header) if length_header.isdigit() else 0)
        else:
            resp.stream = CountedStream(stream, req, resp, self, begun)

    def record(
        self,
        req: pegboard.Request,
        resp: pegboard.Response,
        begun: tuple[float, Series],
        written: int,
    ) -> None:
        """Add one finished request, whose body was ``written`` bytes, to its series."""
        seconds = _perf_counter() - begun[0]
        series = begun[1]
        status = resp.status
        length = req.environ.get("CONTENT_LENGTH")
        read = int(length) if length else 0
        counts = self.recorder.counts(series, status // 100)
        counts[REQUESTS] += 1
        counts[BYTES_READ] += read
        counts[BYTES_WRITTEN] += written
        counts[SECONDS] += seconds
        counts[FIRST_BUCKET + _bisect(self.recorder.buckets, seconds)] += 1
        error = req.error
        if error is not None and not isinstance(error, _CHOSEN):
            counts[ERRORS] += 1
        series.in_flight -= 1
        threshold = self.slow_threshold
        if threshold and seconds > threshold:
            self.recorder.add_slow(req, self.label or "", status, seconds, read, written)


#: Errors that became the response on purpose (not counted as errors).
_CHOSEN = (HTTPError, HTTPRedirect)


class CountedStream:
    """A response stream that counts what the server takes, and records at ``close()``."""

    __slots__ = ("begun", "iterator", "owner", "req", "resp", "sent", "stream")

    def __init__(
        self,
        stream: Iterable[bytes],
        req: pegboard.Request,
        resp: pegboard.Response,
        owner: PlanRecorder,
        begun: tuple[float, Series],
    ) -> None:
        self.stream = stream
        self.iterator = iter(stream)
        self.req, self.resp, self.owner = req, resp, owner
        self.begun: tuple[float, Series] | None = begun
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
            begun, self.begun = self.begun, None
            if begun is not None:
                self.owner.record(self.req, self.resp, begun, self.sent)


def _time_hooks(hook: pegboard.Hook, call: Any) -> Any:
    """The hook wrapper of a timed plan: adds each hook's time to its tool's figures.

    Only sampled requests run a timed plan, so it times unconditionally.
    """
    own = getattr(hook.callback, "__func__", None) is PlanRecorder.file_hook_times
    if hook.source == "stats" or own:
        return call  # its own hooks are what the other figures come from
    # A hook from config (hooks.<point>) or attached per request names no tool.
    tool = hook.source or UNNAMED_HOOKS

    def timed(req: Any, resp: Any) -> Any:
        times: dict[str, Any] | None = getattr(req.state, HOOKS_STATE, None)
        if times is None:
            return call(req, resp)
        pending = times.pop(STARTING, None)
        began = _perf_counter()
        if pending is not None:  # the on_start_resource hooks that ran after stats' own
            _add(times, pending[1], began - pending[0])
        try:
            return call(req, resp)
        finally:
            _add(times, tool, _perf_counter() - began)

    timed.__name__ = getattr(call, "__name__", "hook")
    timed.__qualname__ = getattr(call, "__qualname__", "hook")
    return timed


def _add(times: dict[str, Any], tool: str, seconds: float) -> None:
    figures = times.get(tool)
    if figures is None:
        times[tool] = [seconds, 1]
    else:
        figures[0] += seconds
        figures[1] += 1


def timed_plan(plan: pegboard.Plan) -> pegboard.Plan:
    """A copy of ``plan`` whose hooks are timed, for the sampled requests.

    PERF: requests that are not sampled run the compiled plan untouched, so
    timing costs them nothing (a wrapper on every hook would cost each of
    them a call per hook, see the README). Built once per plan, on its first
    sampled request.
    """
    return plan.with_wrapper(_time_hooks)


def _starting(plan: pegboard.Plan) -> str:
    """The tools whose on_start_resource hooks run after stats' own, as one name."""
    names: list[str] = []
    seen_stats = False
    for hook in plan.hooks["on_start_resource"]:
        if hook.source == "stats":
            seen_stats = True
        elif seen_stats:
            name = hook.source or UNNAMED_HOOKS
            if name not in names:
                names.append(name)
    if len(names) > 1:
        return " + ".join(names) + " (on_start_resource)"
    return names[0] if names else ""
