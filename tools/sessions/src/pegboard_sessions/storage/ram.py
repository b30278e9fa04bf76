"""RAM storage: one dict per app and process, locked per id with in-process locks."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..errors import LockTimeout
from ..settings import StorageConfig
from .base import Storage

__all__ = ["RamStorage"]


class RamStorage(Storage):
    """Records in a dict of ``id -> (payload, expires_at)``; gone when the app stops.

    Payloads are serialized bytes, as in every other backend, so a request
    never shares mutable objects with another and the same data survives a
    switch to a persistent backend.
    """

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        self._records: dict[str, tuple[bytes, float]] = {}
        self._guard = threading.Lock()

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
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
        return None, self.load(session_id)

    def release_lock(self, session_id: str, token: Any) -> None:
        self.local_locks.release(session_id)

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        with self._guard:  # so that clean() never drops a record saved while it runs
            self._records[session_id] = (payload, time.time() + ttl)

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        with self._guard:
            record = self._records.get(session_id)
            if record is not None:
                self._records[session_id] = (record[0], time.time() + ttl)

    def delete(self, session_id: str, lock: Any = None) -> None:
        self._records.pop(session_id, None)

    def clean(self) -> None:
        now = time.time()
        with self._guard:
            expired = [sid for sid, (_, expires) in self._records.items() if expires <= now]
            for sid in expired:
                del self._records[sid]

    def close(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        """How many records are held, expired ones not yet cleaned included."""
        return len(self._records)
