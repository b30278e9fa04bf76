"""The waitress adapter: pure Python, one process, runs everywhere (Windows included)."""

from __future__ import annotations

import importlib
import math
import os
import time
from collections.abc import Callable
from typing import Any

from ._affinity import pin_worker
from ._common import GRACE_SECONDS, Settings, WSGIApp, body_limit, call_hook, log, on_signals

_LOOKAHEAD = 1
"""Requests waitress may read ahead on a connection while one runs (its default is 0)."""


def serve_waitress(load_app: Callable[[], WSGIApp], settings: Settings) -> None:
    """Serve with waitress from this process until SIGINT/SIGTERM, then drain and stop."""
    if settings.workers != 1:
        raise ValueError("waitress serves from one process: use workers=1 (or granian)")
    waitress_server = importlib.import_module("waitress.server")
    wasyncore = importlib.import_module("waitress.wasyncore")
    cpus = os.sched_getaffinity(0) if settings.cpu_affinity else None
    if settings.cpu_affinity:  # before waitress starts its threads: they inherit it
        log.info("serving on CPU %d (server.cpu_affinity)", pin_worker(1))
    try:
        _serve(load_app, settings, waitress_server, wasyncore)
    finally:
        if cpus is not None:  # this process goes on after serving: give its CPUs back
            os.sched_setaffinity(0, cpus)


def _serve(
    load_app: Callable[[], WSGIApp], settings: Settings, waitress_server: Any, wasyncore: Any
) -> None:
    app = load_app()
    call_hook(app, "start")
    try:
        server = waitress_server.create_server(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            # waitress reads whole bodies in its I/O loop before a thread runs the app;
            # a connection that sends nothing for body_timeout is closed (without a 408).
            channel_timeout=max(1, math.ceil(settings.body_timeout)),
            cleanup_interval=max(1, min(30, math.ceil(settings.body_timeout))),
            max_request_body_size=body_limit(app, settings.max_body_size),
            # Keep reading while a request runs, so that a client that hangs up is
            # seen at once: the next write of a streamed body raises, and waitress
            # closes the body (and on_end_request runs). See docs/servers.md.
            channel_request_lookahead=_LOOKAHEAD,
        )
        # One listener, or several (e.g. "localhost" on IPv4 and IPv6) in a MultiSocketServer.
        sockets: dict[int, Any] = getattr(server, "_map", None) or server.map
        listeners = [d for d in sockets.values() if isinstance(d, waitress_server.BaseWSGIServer)]
        signals: list[float] = []  # monotonic times of the SIGINT/SIGTERM received

        def _stop_requested() -> None:
            signals.append(time.monotonic())
            listeners[0].pull_trigger()  # wake the poll loop now

        with on_signals(_stop_requested):
            server.print_listen("Serving on http://{}:{}")
            while not signals:
                wasyncore.loop(timeout=1.0, map=sockets, count=1)
            # Stop accepting, then let the channels finish the requests they have in
            # hand; a second signal, or the end of the grace period, cuts that short.
            for listener in listeners:
                wasyncore.dispatcher.close(listener)
            deadline = signals[0] + GRACE_SECONDS
            while len(signals) == 1 and time.monotonic() < deadline:
                if not any(_waitress_busy(d) for d in list(sockets.values())):
                    break
                wasyncore.loop(timeout=0.05, map=sockets, count=1)
            server.task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
            wasyncore.close_all(sockets)
    finally:
        call_hook(app, "stop")


def _waitress_busy(channel: object) -> bool:
    """Whether a waitress channel has a request queued, running or not yet sent."""
    return bool(getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0))
