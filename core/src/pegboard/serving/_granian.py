"""The granian adapter: the default server of ``pegboard serve``.

granian parses HTTP in Rust and calls the WSGI app in a pool of threads; the reasons
for choosing it, and the figures, are in docs/servers.md.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from types import FrameType
from typing import Any

from ._affinity import pin_worker
from ._common import GRACE_SECONDS, Settings, WSGIApp, body_limit, call_hook, log
from .bodies import BufferedBodies

# Signals. granian parks the main thread of each of its processes in a wait and counts
# on SIGINT/SIGTERM interrupting it, since Python runs signal handlers in the main
# thread only. But the kernel may hand the signal to any thread that does not block it
# (Rust runtime, request threads, watchers): the handler is then left pending and the
# process hangs. With granian 2.8 that happens to most Ctrl-Cs, which hit the parent
# and the workers at once. And the parent's handlers call threading.Event.set(), which
# deadlocks when a second signal lands while the first handler holds the event's lock.
# So every granian process gets a _Doorbell: the C-level handler writes the signal's
# number to a pipe (signal.set_wakeup_fd) and a small thread reads it.
# - Parent: its signal-context handlers do nothing; the doorbell thread runs granian's
#   real ones (safe off the main thread: they set flags and an Event).
# - Worker: the doorbell thread interrupts the main thread (pthread_kill of _POKE) so
#   the handler runs there. And the handlers are ours, put in place of granian's
#   (granian._signals.set_sync_signals, looked up by its WSGI worker body at call time):
#   its WorkerSignal.set() blocks for good when called a second time before the server
#   took the first (say SIGTERM from the parent after a Ctrl-C), so ours call it once;
#   a stop asked for before the worker serves is kept until then; and SIGINT is dropped
#   while the parent lives (a Ctrl-C reaches the parent too, which stops its workers; a
#   worker leaving on its own would be reported by the parent as a crash, exit code 1).

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_SIGHUP: signal.Signals | None = getattr(signal, "SIGHUP", None)  # granian: reload workers
_POKE: signal.Signals | None = getattr(signal, "SIGURG", None)  # ignored by default
_granian_apps: list[object] = []  # apps loaded in this granian worker process
_parent_bell: _Doorbell | None = None  # while this process is a serving granian parent
_worker_bell: _Doorbell | None = None  # in a granian worker, once its signals are set up
_fork_hook_set = False  # os.register_at_fork done (it cannot be undone)


class _Doorbell:
    """Hands each signal that has a Python handler to ``on_signal`` in a thread of its own.

    By default (no ``on_signal``) a stop signal interrupts the main thread, so that its
    handler runs at once. Create and close it in the main thread; POSIX only.
    """

    def __init__(self, on_signal: Callable[[int], None] | None = None) -> None:
        assert _POKE is not None
        self._poke = _POKE
        self._on_signal = on_signal or self._wake_main_on_stop
        self._main = threading.main_thread().ident or 0
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._old_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._old_poke = signal.signal(self._poke, self._woken)
        self._thread = threading.Thread(target=self._watch, name="pegboard-signals", daemon=True)
        self._thread.start()

    def _woken(self, signum: int, frame: FrameType | None) -> None:
        """The poke's handler: nothing to do, the other pending handlers run with it."""

    def _watch(self) -> None:
        while data := os.read(self._read, 512):
            for signum in data:
                if signum != self._poke:
                    self._on_signal(signum)

    def _wake_main_on_stop(self, signum: int) -> None:
        if signum in _STOP_SIGNALS:
            signal.pthread_kill(self._main, self._poke)

    def forget(self) -> None:
        """In a forked child: let go of the parent's doorbell (its thread is not here)."""
        for fd in (self._read, self._write):
            with suppress(OSError):
                os.close(fd)

    def close(self) -> None:
        signal.set_wakeup_fd(self._old_fd)
        signal.signal(self._poke, self._old_poke)
        os.close(self._write)  # ends _watch, unless a child process still holds it
        self._thread.join(timeout=1)
        if not self._thread.is_alive():
            os.close(self._read)


def _doorbell(on_signal: Callable[[int], None] | None = None) -> _Doorbell | None:
    """A doorbell for this process, or None where signals cannot be routed (Windows)."""
    if _POKE is None or not hasattr(signal, "pthread_kill"):
        return None
    return _Doorbell(on_signal)


def _after_fork_in_child() -> None:
    """In a process forked by the granian parent: drop its doorbell, set up the worker's.

    Right after fork, so that no signal meets the parent's handlers in the new worker.
    """
    global _parent_bell
    if _parent_bell is None:
        return
    _parent_bell.forget()
    _parent_bell = None
    _granian_worker_signals()


def _granian_worker_signals() -> None:
    """In a worker, before granian's body runs: take over its SIGINT/SIGTERM handling."""
    global _worker_bell
    if _worker_bell is not None:
        return  # done already, right after fork
    _worker_bell = _doorbell()  # kept for the life of the worker process
    if _worker_bell is None:
        return  # Windows: granian's own handling
    signals_module = importlib.import_module("granian._signals")
    native = importlib.import_module("granian._granian")
    if not hasattr(signals_module, "set_sync_signals"):
        return  # a granian this code does not know: its own handlers, woken by the bell
    parent = os.getppid()
    events: list[Any] = []  # the WorkerSignal granian's body serves with, once made
    asked: list[bool] = []  # a stop was asked for
    once = threading.Lock()  # taken (never released) by the one set() call

    def _fire() -> None:  # a handler may run inside this: the lock makes set() happen once
        if asked and events and once.acquire(blocking=False):
            events[0].set()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and os.getppid() == parent:
            return  # Ctrl-C: the parent got it as well and will SIGTERM this worker
        asked.append(True)
        _fire()

    def _set_sync_signals() -> Any:  # what granian's WSGI worker body calls
        events.append(native.WorkerSignal())
        _fire()
        return events[0]

    for sig in _STOP_SIGNALS:
        signal.signal(sig, _on_signal)
    vars(signals_module)["set_sync_signals"] = _set_sync_signals


def _granian_load(load_app: Callable[[], WSGIApp], settings: Settings) -> WSGIApp:
    """Runs in each granian worker process, before serving: build the app and start it.

    granian gets the app behind :class:`BufferedBodies`, which reads each request body
    before the app runs (granian's own ``wsgi.input`` would block a request thread
    for as long as a client takes to send it).
    """
    _granian_worker_signals()
    app = load_app()
    call_hook(app, "start")
    _granian_apps.append(app)
    return BufferedBodies(
        app,
        body_timeout=settings.body_timeout,
        max_body_size=body_limit(app, settings.max_body_size),
        readers=settings.body_readers,
        threads=settings.threads,
    ).wsgi


def _granian_worker(cpu_affinity: bool, worker: int, *args: Any, **kwargs: Any) -> None:
    """Granian's own WSGI worker body, then ``stop()`` of the app it served.

    ``worker`` is granian's worker number (from 1). With ``cpu_affinity`` the process
    is kept on one CPU first: granian loads the app and starts its threads after
    this, so they all inherit it, and the signal thread started at fork is moved.
    """
    mp = importlib.import_module("granian.server.mp")
    if cpu_affinity:
        log.info(
            "worker %d serves on CPU %d (server.cpu_affinity)",
            worker,
            pin_worker(worker, every_thread=True),
        )
    try:
        mp.MPServer._spawn_wsgi_worker(worker, *args, **kwargs)
    finally:
        while _granian_apps:
            call_hook(_granian_apps.pop(), "stop")


def _in_signal_context(self: object, *args: object) -> None:
    """Stands in for granian's parent signal handlers: the doorbell thread runs them."""


def serve_granian(load_app: Callable[[], WSGIApp], settings: Settings) -> None:
    """Serve with granian's WSGI interface until SIGINT/SIGTERM (see the notes above)."""
    global _parent_bell, _fork_hook_set
    workers = settings.workers
    mp = importlib.import_module("granian.server.mp")
    constants = importlib.import_module("granian.constants")
    if sys.platform == "win32" and workers > 1:
        log.warning("granian runs a single worker on Windows; ignoring workers=%d", workers)
        workers = 1
    base = mp.MPServer
    routed = _POKE is not None and hasattr(signal, "pthread_kill")
    quiet = {
        "signal_handler_interrupt": _in_signal_context,
        "signal_handler_reload": _in_signal_context,
    }
    server_class = type("PegboardGranian", (base,), quiet) if routed else base
    server = server_class(
        target="pegboard",  # a label only: the app comes from target_loader
        address=settings.host,
        port=settings.port,
        interface=constants.Interfaces.WSGI,
        workers=workers,
        # Each body being read holds a request thread while it waits (BufferedBodies).
        blocking_threads=settings.threads + settings.body_readers,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACE_SECONDS,
        websockets=False,  # WSGI has none: said here, so granian does not say it at start
    )
    _quiet_expected_warnings()

    def _on_signal(signum: int) -> None:  # doorbell thread
        if signum in _STOP_SIGNALS:
            base.signal_handler_interrupt(server)
        elif signum == _SIGHUP:
            base.signal_handler_reload(server)

    # granian installs its own SIGINT/SIGTERM/SIGHUP handlers (and leaves them): the
    # parent SIGTERMs the workers, which finish in-flight requests, then stop() runs.
    saved = {sig: signal.getsignal(sig) for sig in (*_STOP_SIGNALS, _SIGHUP) if sig}
    bell = _parent_bell = _doorbell(_on_signal) if routed else None
    if bell is not None and not _fork_hook_set:
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook_set = True
    try:
        server.serve(
            spawn_target=partial(_granian_worker, settings.cpu_affinity),
            target_loader=partial(_granian_load, load_app, settings),
            wrap_loader=False,
        )
    finally:
        for sig, handler in saved.items():
            if handler is not None:  # None: not set from Python, cannot be put back
                signal.signal(sig, handler)
        _parent_bell = None
        if bell is not None:
            bell.close()


class _ExpectedThreads(logging.Filter):
    """Drops granian's start-up warning about many Python threads, which pegboard chose.

    pegboard serve runs ``threads`` request threads plus the body readers
    (docs/servers.md): most of them wait on slow clients' bodies, not on the
    CPU, and only ``threads`` run the app at a time (the gate).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def _quiet_expected_warnings() -> None:
    granian_log = logging.getLogger("_granian")
    if not any(isinstance(f, _ExpectedThreads) for f in granian_log.filters):
        granian_log.addFilter(_ExpectedThreads())
