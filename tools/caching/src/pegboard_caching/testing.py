"""Test helpers: move a cache's clock by hand, wait for background refreshes.

Freshness is computed from a wall clock kept per app; these helpers replace
it so a test can age an entry by hours without sleeping.
"""

from __future__ import annotations

import time

from pegboard import App

from .runtime import runtime_for

__all__ = ["FakeClock", "use_clock", "wait_for_refreshes"]


class FakeClock:
    """A wall clock that only moves when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


def use_clock(app: App, clock: FakeClock | None = None) -> FakeClock:
    """Start ``app``; its caches then read the time from ``clock`` (a new FakeClock by default)."""
    app.start()
    clock = clock or FakeClock()
    runtime_for(app).clock = clock
    return clock


def wait_for_refreshes(app: App, timeout: float = 5.0) -> None:
    """Block until the background refreshes (stale-while-revalidate) started so far are done."""
    runtime_for(app).drain(timeout)
