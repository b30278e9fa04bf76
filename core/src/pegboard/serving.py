"""Run a WSGI app under a production server: the adapter behind ``pegboard serve``.

Two adapters: ``granian`` (the default, chosen by measurement, see docs/servers.md;
Rust core, one process per worker) and ``waitress`` (pure Python, one process,
works everywhere). The server libraries are imported only when used.

The app comes from a zero-argument factory, called once in every process that
serves requests (in each worker, after fork). If the app has ``start()`` and
``stop()`` methods they run once per serving process: ``start()`` before the
first request, ``stop()`` after the last, on SIGINT or SIGTERM.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from types import FrameType
from typing import Any

__all__ = ["DEFAULT_SERVER", "GRACE_SECONDS", "WSGIApp", "available_servers", "serve"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
"""A WSGI application callable (it may also have ``start()`` and ``stop()``)."""

DEFAULT_SERVER = "granian"
GRACE_SECONDS = 30
"""How long in-flight requests get to finish after SIGINT/SIGTERM."""

_log = logging.getLogger("pegboard.serving")


def _call_hook(app: object, name: str) -> None:
    hook = getattr(app, name, None)
    if callable(hook):
        hook()


@contextmanager
def _on_signals(handler: Callable[[], None]) -> Iterator[None]:
    """Route SIGINT and SIGTERM to ``handler`` (main thread only); restore on exit."""

    def _handle(signum: int, frame: FrameType | None) -> None:
        handler()

    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# -- granian: the default ------------------------------------------------------------
#
# Signals. granian's processes park their main thread in threading.Event.wait() and
# count on SIGINT/SIGTERM waking it. The kernel may hand a signal to any other thread
# instead (Rust runtime, request threads, watchers), and then the Python handler never
# runs and the process hangs: with granian 2.8 that happens to most Ctrl-Cs, which hit
# the parent and the workers at once. So in every granian process the two signals are
# blocked in all threads and taken by one sigwait thread that calls granian's Python
# handler. In a worker it waits until the main thread is parked (calling granian's
# handler while the worker is still starting up can deadlock it), and while the parent
# lives it obeys only the parent: a Ctrl-C, or a SIGTERM to the whole group (systemd),
# reaches the parent too, which then stops its workers; a worker that left on its own
# would be taken by the parent for a crash (exit code 1).

_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
_SIGHUP: signal.Signals | None = getattr(signal, "SIGHUP", None)  # granian: reload workers
_PARK_WAIT = 5.0  # seconds a worker's relay waits for the main thread to park
_granian_apps: list[object] = []  # apps loaded in this granian worker process


def _main_thread_parked() -> bool:
    """Whether the main thread is blocked in a threading wait (granian's idle state)."""
    frame = sys._current_frames().get(threading.main_thread().ident or -1)
    return frame is not None and frame.f_code is threading.Condition.wait.__code__


def _wait_signal() -> tuple[signal.Signals, int | None]:
    """Wait for SIGINT or SIGTERM (blocked); return it and the sender's pid if known."""
    if hasattr(signal, "sigwaitinfo"):
        info = signal.sigwaitinfo(_STOP_SIGNALS)
        return signal.Signals(info.si_signo), info.si_pid
    return signal.Signals(signal.sigwait(_STOP_SIGNALS)), None


def _relay_stop_signals(*, worker: bool = False) -> Callable[[], None]:
    """Route SIGINT/SIGTERM through a sigwait thread; return the function that undoes it.

    Blocks the two signals in the calling thread (so in every thread it starts later)
    and passes each one received to the Python handler installed after this call.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: nothing to do
        return lambda: None
    before = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    parent = os.getppid()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    done = threading.Event()

    def _ready(signum: signal.Signals, since: float) -> bool:
        handler = signal.getsignal(signum)
        if handler is before[signum] or not callable(handler):
            return False  # the server has not installed its handler yet
        return not worker or _main_thread_parked() or time.monotonic() - since > _PARK_WAIT

    def _relay() -> None:
        while True:
            signum, sender = _wait_signal()
            if worker and os.getppid() == parent:
                # sender unknown (no sigwaitinfo, e.g. macOS): assume SIGTERM is the parent's
                from_parent = sender == parent if sender is not None else signum == signal.SIGTERM
                if not from_parent:
                    continue
            since = time.monotonic()
            while not done.is_set() and not _ready(signum, since):
                done.wait(0.01)
            if done.is_set():
                return
            handler = signal.getsignal(signum)
            if callable(handler):
                handler(signum, None)

    relay = threading.Thread(target=_relay, name="pegboard-signals", daemon=True)
    relay.start()

    def _undo() -> None:
        done.set()
        if relay.ident is not None and relay.is_alive():
            signal.pthread_kill(relay.ident, signal.SIGTERM)  # wakes its sigwait only
        relay.join(timeout=1)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    return _undo


def _granian_load(load_app: Callable[[], WSGIApp]) -> WSGIApp:
    """Runs in each granian worker process, before serving: build the app and start it."""
    _relay_stop_signals(worker=True)  # for the life of the worker process
    app = load_app()
    _call_hook(app, "start")
    _granian_apps.append(app)
    return app


def _granian_worker(*args: Any, **kwargs: Any) -> None:
    """Granian's own WSGI worker body, then ``stop()`` of the app it served."""
    mp = importlib.import_module("granian.server.mp")
    try:
        mp.MPServer._spawn_wsgi_worker(*args, **kwargs)
    finally:
        while _granian_apps:
            _call_hook(_granian_apps.pop(), "stop")


def _serve_granian(
    load_app: Callable[[], WSGIApp], host: str, port: int, workers: int, threads: int
) -> None:
    mp = importlib.import_module("granian.server.mp")
    constants = importlib.import_module("granian.constants")
    if sys.platform == "win32" and workers > 1:
        _log.warning("granian runs a single worker on Windows; ignoring workers=%d", workers)
        workers = 1
    server = mp.MPServer(
        target="pegboard",  # a label only: the app comes from target_loader
        address=host,
        port=port,
        interface=constants.Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACE_SECONDS,
    )
    # granian installs its own SIGINT/SIGTERM (and SIGHUP: reload) handlers: the parent
    # SIGTERMs the workers, which finish in-flight requests; _granian_worker then calls
    # stop(). Its handlers are put back as they were once it returns.
    saved = {sig: signal.getsignal(sig) for sig in (*_STOP_SIGNALS, _SIGHUP) if sig}
    undo_relay = _relay_stop_signals()
    try:
        server.serve(
            spawn_target=_granian_worker,
            target_loader=partial(_granian_load, load_app),
            wrap_loader=False,
        )
    finally:
        for sig, handler in saved.items():
            if handler is not None:  # None: not set from Python, cannot be put back
                signal.signal(sig, handler)
        undo_relay()


# -- waitress: pure Python fallback --------------------------------------------------


def _serve_waitress(
    load_app: Callable[[], WSGIApp], host: str, port: int, workers: int, threads: int
) -> None:
    if workers != 1:
        raise ValueError("waitress serves from one process: use workers=1 (or granian)")
    waitress_server = importlib.import_module("waitress.server")
    wasyncore = importlib.import_module("waitress.wasyncore")
    app = load_app()
    _call_hook(app, "start")
    try:
        server = waitress_server.create_server(app, host=host, port=port, threads=threads)
        # One listener, or several (e.g. "localhost" on IPv4 and IPv6) in a MultiSocketServer.
        sockets: dict[int, Any] = getattr(server, "_map", None) or server.map
        listeners = [d for d in sockets.values() if isinstance(d, waitress_server.BaseWSGIServer)]
        signals: list[float] = []  # monotonic times of the SIGINT/SIGTERM received

        def _stop_requested() -> None:
            signals.append(time.monotonic())
            listeners[0].pull_trigger()  # wake the poll loop now

        with _on_signals(_stop_requested):
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
        _call_hook(app, "stop")


def _waitress_busy(channel: object) -> bool:
    """Whether a waitress channel has a request queued, running or not yet sent."""
    return bool(getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0))


# -- public API ----------------------------------------------------------------------

_Adapter = Callable[[Callable[[], WSGIApp], str, int, int, int], None]
_ADAPTERS: dict[str, tuple[str, _Adapter]] = {  # name: (import name, adapter); default first
    "granian": ("granian", _serve_granian),
    "waitress": ("waitress", _serve_waitress),
}


def available_servers() -> list[str]:
    """Names of the servers that are installed and have an adapter, the default first."""
    return [
        name
        for name, (module, _) in _ADAPTERS.items()
        if importlib.util.find_spec(module) is not None
    ]


def serve(
    load_app: Callable[[], WSGIApp],
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    threads: int = 8,
    server: str | None = None,
) -> None:
    """Serve the app built by ``load_app`` until SIGINT or SIGTERM, then shut down cleanly.

    ``load_app`` runs once in every serving process (each worker, after fork); the
    app's optional ``start()``/``stop()`` run once per process around serving.
    ``workers`` is the number of processes, ``threads`` the request threads in each.
    ``server=None`` picks the first of :func:`available_servers` (granian if installed,
    else waitress). Raises ``ValueError`` for an unknown or uninstalled server, or
    settings the server cannot honour. Must be called from the main thread.
    """
    if workers < 1 or threads < 1:
        raise ValueError(f"workers and threads must be >= 1, got {workers} and {threads}")
    installed = available_servers()
    name = server if server is not None else (installed[0] if installed else DEFAULT_SERVER)
    if name not in installed:
        known = ", ".join(installed) or "none (pip install granian)"
        raise ValueError(f"server {name!r} is not available; installed: {known}")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("serve() handles signals, so it must run in the main thread")
    _ADAPTERS[name][1](load_app, host, port, workers, threads)
