"""Which requests are profiled, and the profiling of one request from its start to its end.

``on_start_resource`` decides: a request whose trigger header (or cookie)
carries the configured secret, compared in constant time, or one request in
``every``. Only then does it start a profiler and attach, for that request
alone, the ``on_end_request`` hook that stops it and stores the result; every
other request pays one hook call that reads a counter.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import os
import threading
import time
from typing import Any

from pyinstrument import Profiler

import pegboard

from .options import ProfilerOptions
from .store import ProfileInfo, ProfileStore

__all__ = ["END_PRIORITY", "START_PRIORITY", "Sampler", "profile_of", "start_profile"]

#: on_start_resource: before the other tools, so that their work is in the profile.
START_PRIORITY = -5
#: on_end_request (only for a profiled request): late, after the body was sent.
END_PRIORITY = 990
#: The ``req.state`` name of a profiled request's record (a tool uses its own name).
STATE_NAME = "profiler"
#: The response header that names a triggered request's call tree.
ID_HEADER = "X-Profile-Id"

_log = logging.getLogger("pegboard.profiler")
#: One profiled request at a time in a process: each profiler takes the
#: interpreter's one profiling hook for its thread, and the cProfile aggregate
#: is shared. A request that comes while another is profiled is not.
_PROFILING = threading.Lock()


class Sampler:
    """A plan's choice of requests to profile, prepared once per plan."""

    __slots__ = (
        "cookie",
        "counter",
        "engine",
        "every",
        "header_key",
        "interval",
        "secret",
        "store",
    )

    def __init__(self, options: ProfilerOptions, store: ProfileStore) -> None:
        self.every = options.every
        self.counter = itertools.count(1)
        secret = options.secret
        self.secret = secret.encode("utf-8") if secret is not None else None
        self.header_key = "HTTP_" + options.header.upper().replace("-", "_")
        self.cookie = options.cookie
        self.engine = options.engine
        self.interval = options.interval
        self.store = store

    def trigger_of(self, req: pegboard.Request) -> bool:
        """Whether the request carries the secret in the header or the cookie."""
        secret = self.secret
        if secret is None:
            return False
        environ = req.environ
        value: str | None = environ.get(self.header_key)
        cookie = self.cookie
        if value is None and cookie is not None:
            raw = environ.get("HTTP_COOKIE")
            if raw and cookie in raw:  # PERF: parse cookies only when the name is there
                value = req.cookies.get(cookie)
        if value is None:
            return False
        return hmac.compare_digest(value.encode("utf-8", "surrogateescape"), secret)


class Running:
    """One request being profiled (``req.state.profiler``)."""

    __slots__ = ("engine", "id", "profiler", "started", "trigger")

    def __init__(self, profile_id: str, trigger: str, engine: str, profiler: Any) -> None:
        self.id = profile_id
        self.trigger = trigger
        self.engine = engine
        self.profiler = profiler
        self.started = time.perf_counter()


def start_profile(req: pegboard.Request, resp: pegboard.Response, sampler: Sampler) -> None:
    """on_start_resource: profile this request if it is triggered or its turn has come."""
    engine: str
    if sampler.trigger_of(req):
        trigger = "triggered"
        engine = "pyinstrument" if sampler.engine == "both" else sampler.engine
    else:
        every = sampler.every
        if not every:
            return
        count = next(sampler.counter)
        if count % every:
            return
        trigger = "sampled"
        engine = sampler.engine
        if engine == "both":  # sampled requests take turns: a call tree, then the aggregate
            engine = "pyinstrument" if (count // every) % 2 else "cprofile"
    if not _PROFILING.acquire(blocking=False):
        return
    try:
        store = sampler.store
        if engine == "pyinstrument":
            profiler: Any = Profiler(interval=sampler.interval, async_mode="disabled")
            profiler.start()
        else:
            profiler = store.aggregate
            profiler.enable()
    except Exception:
        _PROFILING.release()
        _log.exception("could not start profiling %s %s", req.method, req.path)
        return
    running = Running(store.new_id(), trigger, engine, profiler)
    req.state.profiler = running
    req.attach_hook("on_end_request", _stop_profile, END_PRIORITY, True, sampler=sampler)
    if trigger == "triggered" and engine == "pyinstrument":
        resp.headers[ID_HEADER] = running.id


def _stop_profile(req: pegboard.Request, resp: pegboard.Response, sampler: Sampler) -> None:
    """on_end_request of a profiled request: stop the profiler, store what it found."""
    running: Running | None = req.state.get(STATE_NAME)
    if running is None:
        return
    try:
        if running.engine == "pyinstrument":
            running.profiler.stop()
            duration = (time.perf_counter() - running.started) * 1000.0
            html: str = running.profiler.output_html()
            route = req.route.template if req.route is not None else ""
            info = ProfileInfo(
                id=running.id,
                time=time.time(),
                method=req.method,
                path=req.script_name + req.path,
                route=route,
                status=resp.status,
                duration_ms=round(duration, 3),
                trigger=running.trigger,
                pid=os.getpid(),
            )
            sampler.store.save_html(info, html)
        else:
            running.profiler.disable()
            sampler.store.save_aggregate()
    finally:
        _PROFILING.release()


def profile_of(req: pegboard.Request) -> str | None:
    """The id of the request's call tree if it is being profiled, else None."""
    running: Running | None = req.state.get(STATE_NAME)
    return None if running is None else running.id
