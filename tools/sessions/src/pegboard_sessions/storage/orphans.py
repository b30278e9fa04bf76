"""Locks this process took but could not release, released as soon as the store answers.

A release that fails (the store restarted, a connection broke, an answer was
lost) may leave the lock in the store: Redis restarted with persistence
keeps the key. The session's next request would then wait for it until the
lease runs out, and get a 503 after ``lock_timeout`` if that is shorter. The
process that took the lock is still alive and knows the lock's token, so it
keeps trying to release it, by compare-and-delete (never someone else's
lock), from a thread that runs only while there is something to release,
until the release works or the lease would have freed the lock anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from ..errors import StorageUnavailable

__all__ = ["OrphanedLocks"]

_log = logging.getLogger("pegboard_sessions")

#: Seconds between two attempts while the store does not answer.
RETRY_EVERY = 0.25
#: The most locks remembered; beyond it the oldest is left to its lease.
LIMIT = 10_000


class OrphanedLocks:
    """The locks one store could not release, and the thread that retries them.

    ``release(session_id, token)`` is the store's compare-and-delete; it
    raises StorageUnavailable while the store does not answer.
    """

    def __init__(self, release: Callable[[str, Any], object], store: str) -> None:
        self._release = release
        self._store = store
        self._guard = threading.Lock()
        #: (session id, token) -> monotonic time after which the lease has freed the lock
        self._pending: dict[tuple[str, Hashable], float] = {}
        self._stop: threading.Event | None = None

    def add(self, session_id: str, token: Hashable, lease: float) -> None:
        """Remember a lock whose release failed; it is retried until ``lease`` s from now."""
        with self._guard:
            if len(self._pending) >= LIMIT:
                del self._pending[next(iter(self._pending))]
            self._pending[(session_id, token)] = time.monotonic() + lease
            if self._stop is None:
                self._stop = threading.Event()
                threading.Thread(
                    target=self._retry,
                    args=(self._stop,),
                    name=f"pegboard-sessions-{self._store.lower()}-unlock",
                    daemon=True,
                ).start()

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Stop retrying (the store is closing); the leases free what is left."""
        with self._guard:
            self._pending.clear()
            if self._stop is not None:
                self._stop.set()
                self._stop = None

    def _retry(self, stop: threading.Event) -> None:
        while not stop.wait(RETRY_EVERY):
            with self._guard:
                if not self._pending:
                    if self._stop is stop:
                        self._stop = None
                    return
                pending = list(self._pending.items())
            now = time.monotonic()
            for (session_id, token), until in pending:
                if until > now:
                    try:
                        self._release(session_id, token)
                    except StorageUnavailable:
                        break  # still not answering: the next round tries again
                    except Exception:
                        _log.exception("releasing a session lock in %s failed", self._store)
                    else:
                        _log.info("released a session lock %s kept after a failure", self._store)
                with self._guard:
                    self._pending.pop((session_id, token), None)
