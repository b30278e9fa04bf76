"""RAM storage: one ordered dict per app and process, bounded, locked with in-process locks."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from ..errors import LockTimeout
from ..settings import DEFAULT_MAX_SESSIONS, StorageConfig
from .base import Storage

__all__ = ["RamStorage"]

_log = logging.getLogger("pegboard_sessions")


class RamStorage(Storage):
    """Records ``id -> (payload, expires_at)``, least recently used first; gone at app stop.

    Payloads are serialized bytes, as in every other backend, so a request
    never shares mutable objects with another and the same data survives a
    switch to a persistent backend. At most ``max_sessions`` records are kept:
    a new one beyond that drops the least recently used (written or renewed
    last, which every request that uses a session does at its end), and the
    first time that happens a warning is logged.
    """

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        #: the most records kept; the least recently used goes to make room
        self.max_sessions = (
            DEFAULT_MAX_SESSIONS if config.max_sessions is None else config.max_sessions
        )
        # PERF: an OrderedDict moves a used record to the end and drops the oldest in O(1).
        self._records: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._guard = threading.Lock()
        self._warned = False

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        # PERF: no reordering here: every request that uses a session ends with save() or
        # touch(), which make it the most recent; a read alone stays a plain dict lookup.
        record = self._records.get(session_id)
        if record is None or record[1] <= time.time():
            return None
        return record[0]

    # PERF: nothing is shared between processes, so locking is the in-process
    # lock alone; these skip the shared-lock steps of the base class.
    def acquire_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        return None

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        # PERF: load() inlined: this is every RAM request that reads a session.
        record = self._records.get(session_id)
        if record is None or record[1] <= time.time():
            return None, None
        return None, record[0]

    def release_lock(self, session_id: str, token: Any) -> None:
        self.local_locks.release(session_id)

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        records = self._records
        with self._guard:  # so that clean() never drops a record saved while it runs
            records[session_id] = (payload, time.time() + ttl)
            records.move_to_end(session_id)
            if len(records) > self.max_sessions:
                self._make_room()

    def _make_room(self) -> None:
        """Drop the least recently used records beyond ``max_sessions`` (the guard is held)."""
        records = self._records
        if not self._warned:
            self._warned = True
            _log.warning(
                "the RAM session store is full (max_sessions = %d): from now on the least "
                "recently used sessions are dropped to make room; raise "
                "tools.sessions.max_sessions or use a shared store (file, redis, ...)",
                self.max_sessions,
            )
        while len(records) > self.max_sessions:
            records.popitem(last=False)

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        with self._guard:
            record = self._records.get(session_id)
            if record is not None:
                self._records[session_id] = (record[0], time.time() + ttl)
                self._records.move_to_end(session_id)

    def delete(self, session_id: str, lock: Any = None) -> None:
        with self._guard:
            self._records.pop(session_id, None)

    def clean(self) -> None:
        now = time.time()
        with self._guard:
            expired = [sid for sid, (_, expires) in self._records.items() if expires <= now]
            for sid in expired:
                del self._records[sid]

    def close(self) -> None:
        with self._guard:
            self._records.clear()

    def __len__(self) -> int:
        """How many records are held, expired ones not yet cleaned included."""
        return len(self._records)
