"""What the server adapters share: the settings they get, app hooks, signal routing."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ..plans import DEFAULT_MAX_BODY_SIZE

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
"""A WSGI application callable (it may also have ``start()`` and ``stop()``)."""

GRACE_SECONDS = 30
"""How long in-flight requests get to finish after SIGINT/SIGTERM."""

log = logging.getLogger("pegboard.serving")


@dataclass(frozen=True)
class Settings:
    """What ``serve()`` was asked for, as every adapter receives it."""

    host: str
    port: int
    workers: int
    threads: int
    body_timeout: float
    max_body_size: int | None  # None: the app's largest request.max_body_size
    body_readers: int
    cpu_affinity: bool = False  # each worker process kept on one CPU (see _affinity.py)


def call_hook(app: object, name: str) -> None:
    hook = getattr(app, name, None)
    if callable(hook):
        hook()


def body_limit(app: object, given: int | None) -> int:
    """The body size limit for ``app``: ``given``, else the largest of its plans' limits."""
    if given is not None:
        return given
    plans = getattr(app, "plans", None)
    if callable(plans):
        limits: list[int] = [int(plan.max_body_size) for plan in plans()]
        if limits:
            return max(limits)
    return DEFAULT_MAX_BODY_SIZE


@contextmanager
def on_signals(handler: Callable[[], None]) -> Iterator[None]:
    """Route SIGINT and SIGTERM to ``handler`` (main thread only); restore on exit."""

    def _handle(signum: int, frame: FrameType | None) -> None:
        handler()

    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
