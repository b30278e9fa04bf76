"""RAM storage: one ordered dict per app and process, bounded, each record with its own lock."""

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

# A record: [payload, expires_at, lock]. It is changed in place, never replaced, so
# a request that waited for its lock reads what the request before it wrote.
_PAYLOAD, _EXPIRES, _LOCK = 0, 1, 2


class _LocalToken:
    """The token of a lock taken in ``local_locks``: the id had no record to hold a lock."""

    __slots__ = ()


_LOCAL: Any = _LocalToken()


class RamStorage(Storage):
    """Records ``id -> (payload, expires_at)``, least recently used first; gone at app stop.

    Payloads are serialized bytes, as in every other backend, so a request
    never shares mutable objects with another and the same data survives a
    switch to a persistent backend. At most ``max_sessions`` records are kept:
    a new one beyond that drops the least recently used (written or renewed
    last, which every request that uses a session does at its end), and the
    first time that happens a warning is logged. A record whose lock a
    request holds is never dropped (by the bound or by :meth:`clean`): that
    request is about to write it.

    Locking: nothing is shared between processes, so a session's lock is a
    ``threading.Lock`` kept in its record, and the lock token is the record.
    An id without a record has nothing to protect: :meth:`lock_and_load`
    takes no lock for it, and :meth:`acquire_lock` takes the in-process lock
    of the base class (``local_locks``).
    """

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        #: the most records kept; the least recently used goes to make room
        self.max_sessions = (
            DEFAULT_MAX_SESSIONS if config.max_sessions is None else config.max_sessions
        )
        # PERF: an OrderedDict moves a used record to the end and drops the oldest in O(1).
        self._records: OrderedDict[str, list[Any]] = OrderedDict()
        self._guard = threading.Lock()  # for changes to _records
        self._warned = False

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        # PERF: no reordering here: every request that uses a session ends with save() or
        # touch(), which make it the most recent; a read alone stays a plain dict lookup.
        record = self._records.get(session_id)
        if record is None or record[_EXPIRES] <= time.time():
            return None
        payload: bytes = record[_PAYLOAD]
        return payload

    # -- locking: the record's own lock --------------------------------------------

    def _lock_record(self, session_id: str, timeout: float) -> list[Any] | None:
        """Take the lock of ``session_id``'s record and return the record (None: no record)."""
        records = self._records
        deadline = None
        while True:
            record = records.get(session_id)
            if record is None:
                return None
            lock = record[_LOCK]
            # PERF: the common case, a lock nobody holds: no clock read, no wait.
            if not lock.acquire(False):
                if deadline is None:
                    deadline = time.monotonic() + timeout
                if not lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                    raise LockTimeout(session_id, timeout)
            if records.get(session_id) is record:
                return record
            lock.release()  # deleted while we waited: look again

    def acquire_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            record = self._lock_record(session_id, max(deadline - time.monotonic(), 0.0))
            if record is not None:
                return record
            # No record to keep a lock in: the id's in-process lock stands for it.
            if not self.local_locks.acquire(session_id, max(deadline - time.monotonic(), 0.0)):
                raise LockTimeout(session_id, timeout)
            if session_id not in self._records:
                return _LOCAL
            self.local_locks.release(session_id)  # written meanwhile: take its lock instead

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        records = self._records
        record = records.get(session_id)
        if record is not None:
            # PERF: every RAM request that reads a session: a free lock is taken here
            # with no call; a busy one, or a record dropped meanwhile, goes the long way.
            lock = record[_LOCK]
            if not lock.acquire(False):
                record = self._lock_record(session_id, timeout)
            elif records.get(session_id) is not record:
                lock.release()
                record = self._lock_record(session_id, timeout)
        if record is None:
            return Storage.NOT_LOCKED, None  # no record: nothing to protect, nothing locked
        if record[_EXPIRES] <= time.time():
            return record, None  # expired: the session releases the lock at once
        return record, record[_PAYLOAD]

    def release_lock(self, session_id: str, token: Any) -> None:
        if type(token) is list:
            token[_LOCK].release()
        elif token is _LOCAL:
            self.local_locks.release(session_id)

    # PERF: the end of every RAM request that holds its session's lock: the record
    # changed in place and its lock released, with no call through the base class.
    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        if type(token) is not list:
            super().save_and_unlock(session_id, payload, ttl, token)
            return
        expires = time.time() + ttl
        records = self._records
        guard = self._guard
        try:
            guard.acquire()  # PERF: no context manager (two method lookups fewer)
            try:
                token[_PAYLOAD], token[_EXPIRES] = payload, expires
                # _keep() inlined: the record made the most recent (back in if dropped).
                records[session_id] = token
                records.move_to_end(session_id)
                if len(records) > self.max_sessions:
                    self._make_room()
            finally:
                guard.release()
        finally:
            token[_LOCK].release()

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        if type(token) is not list:
            super().touch_and_unlock(session_id, ttl, token)
            return
        expires = time.time() + ttl
        try:
            with self._guard:
                token[_EXPIRES] = expires
                self._keep(session_id, token)
        finally:
            token[_LOCK].release()

    def _keep(self, session_id: str, record: list[Any]) -> None:
        """Make ``record`` the most recent (back in if it was dropped); the guard is held."""
        records = self._records
        records[session_id] = record
        records.move_to_end(session_id)
        if len(records) > self.max_sessions:
            self._make_room()

    # -- data --------------------------------------------------------------------

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        expires = time.time() + ttl
        with self._guard:  # so that clean() never drops a record saved while it runs
            record = self._records.get(session_id)
            if record is None:
                # A lock held for a record that was dropped meanwhile stays its lock.
                record = lock if type(lock) is list else [None, 0.0, threading.Lock()]
            record[_PAYLOAD], record[_EXPIRES] = payload, expires
            self._keep(session_id, record)

    def _make_room(self) -> None:
        """Drop the least recently used records beyond ``max_sessions`` (the guard is held).

        A record whose lock is held stays (its request writes it next), as the most recent.
        """
        records = self._records
        if not self._warned:
            self._warned = True
            _log.warning(
                "the RAM session store is full (max_sessions = %d): from now on the least "
                "recently used sessions are dropped to make room; raise "
                "tools.sessions.max_sessions or use a shared store (file, redis, ...)",
                self.max_sessions,
            )
        looked = 0
        while len(records) > self.max_sessions and looked < len(records):
            session_id, record = records.popitem(last=False)
            if record[_LOCK].locked():
                records[session_id] = record
                looked += 1

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        with self._guard:
            record = self._records.get(session_id)
            if record is not None:
                record[_EXPIRES] = time.time() + ttl
                self._records.move_to_end(session_id)

    def delete(self, session_id: str, lock: Any = None) -> None:
        with self._guard:
            self._records.pop(session_id, None)

    def clean(self) -> None:
        now = time.time()
        with self._guard:
            expired = [
                sid
                for sid, record in self._records.items()
                if record[_EXPIRES] <= now and not record[_LOCK].locked()
            ]
            for sid in expired:
                del self._records[sid]

    def close(self) -> None:
        with self._guard:
            self._records.clear()

    def __len__(self) -> int:
        """How many records are held, expired ones not yet cleaned included."""
        return len(self._records)
