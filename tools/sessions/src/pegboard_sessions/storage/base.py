"""The storage base class every backend (built-in or third-party) subclasses."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ..errors import LockTimeout
from ..settings import StorageConfig

__all__ = ["LocalLocks", "Storage"]

_log = logging.getLogger("pegboard_sessions")


class _NotLocked:
    """The type of :attr:`Storage.NOT_LOCKED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Storage.NOT_LOCKED"


class LocalLocks:
    """Per-session-id locks inside one process, with a timeout.

    Threads of one process queue here instead of polling the shared store,
    so only one thread per process at a time waits for the cross-process lock.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        # session id -> [lock, number of threads holding or waiting for it]
        self._locks: dict[str, list[Any]] = {}

    def acquire(self, session_id: str, timeout: float) -> bool:
        """Take the lock of ``session_id``; False if it stayed busy for ``timeout`` s."""
        with self._guard:
            entry = self._locks.get(session_id)
            if entry is None:
                # PERF: nobody holds or waits for this id: take a new lock at once.
                lock = threading.Lock()
                lock.acquire()
                self._locks[session_id] = [lock, 1]
                return True
            entry[1] += 1
        if entry[0].acquire(timeout=max(timeout, 0.0)):
            return True
        self._forget(session_id, entry)
        return False

    def release(self, session_id: str) -> None:
        """Release a lock taken with :meth:`acquire`."""
        with self._guard:
            entry = self._locks[session_id]
            entry[0].release()
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[session_id]

    def _forget(self, session_id: str, entry: list[Any]) -> None:
        with self._guard:
            entry[1] -= 1
            if entry[1] == 0 and self._locks.get(session_id) is entry:
                del self._locks[session_id]

    def __len__(self) -> int:
        return len(self._locks)


class Storage(ABC):
    """Where session records live, and how a session is locked.

    One instance serves one app and one :class:`StorageConfig`: it is
    created and :meth:`open`-ed when the app starts, shared by every request
    thread (so it must be thread-safe), and :meth:`close`-d when the app
    stops. A record is opaque bytes with an idle lifetime (``ttl``, seconds)
    that :meth:`touch` renews; an expired record must load as ``None``.

    Errors: raise :class:`~pegboard_sessions.StorageUnavailable` when the store
    cannot be reached (the request gets a 503) and
    :class:`~pegboard_sessions.LockTimeout` when a lock is not had in time.

    Locking: :meth:`acquire_lock` first takes an in-process lock per id
    (:class:`LocalLocks`), then calls :meth:`acquire_shared_lock` with the
    rest of the time; a backend whose store is shared between processes
    overrides that pair to lock across processes. The token it returns is
    passed back to :meth:`release_shared_lock` and to the data methods as
    ``lock`` (PostgreSQL runs them on the connection that holds the lock).

    Round trips: a request that locks its session calls :meth:`lock_and_load`
    once, and at its end one of :meth:`save_and_unlock`,
    :meth:`touch_and_unlock`, :meth:`delete_and_unlock`, or
    :meth:`release_lock`; a request that reads without the lock calls
    :meth:`load_and_touch`. Their defaults call the methods above one after
    the other; a networked backend overrides them to do each in one round trip.
    """

    #: True when records expire inside the store (Redis, Memcached TTLs): no cleanup thread.
    expires_itself: ClassVar[bool] = False
    #: The token :meth:`lock_and_load` returns when it found no record and so took no
    #: shared lock (nothing can be protected under an id without a record): releasing it
    #: frees the in-process lock only, without a round trip.
    NOT_LOCKED: ClassVar[Any] = _NotLocked()

    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.local_locks = LocalLocks()

    @classmethod  # noqa: B027 - optional for subclasses
    def check_config(cls, config: StorageConfig) -> None:
        """Raise ValueError for options this backend cannot work with; runs at app start.

        The message should name the option (``"storage_path is required"``).
        """

    def open(self) -> None:  # noqa: B027 - optional for subclasses
        """Create pools and directories. Must not fail because the server is down."""

    def close(self) -> None:  # noqa: B027 - optional for subclasses
        """Release pools and connections."""

    @abstractmethod
    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        """The record of ``session_id``, or None if it is missing or expired."""

    @abstractmethod
    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        """Write the record, to expire ``ttl`` seconds from now unless touched."""

    @abstractmethod
    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        """Renew the record's idle lifetime without rewriting it."""

    @abstractmethod
    def delete(self, session_id: str, lock: Any = None) -> None:
        """Remove the record; a missing record is not an error."""

    def clean(self) -> None:  # noqa: B027 - optional for subclasses
        """Remove expired records; the cleanup thread calls it every ``clean_freq`` minutes."""

    # -- locking ------------------------------------------------------------

    def acquire_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        """Lock ``session_id`` for this request; return a token for :meth:`release_lock`.

        ``timeout`` bounds the wait (then :class:`LockTimeout`); ``lease``
        bounds how long a lock outlives a process that died holding it.
        """
        deadline = time.monotonic() + timeout
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        try:
            return self.acquire_shared_lock(
                session_id, max(deadline - time.monotonic(), 0.0), lease
            )
        except BaseException:
            self.local_locks.release(session_id)
            raise

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        """:meth:`acquire_lock` then :meth:`load`; a backend may do both in one round trip.

        Returns ``(token, payload)``, the in-process lock held either way. A
        backend that can tell in the same step that there is no record may
        skip the shared lock and return ``(Storage.NOT_LOCKED, None)``.
        """
        token = self.acquire_lock(session_id, timeout, lease)
        try:
            return token, self.load(session_id, token)
        except BaseException:
            self.release_lock(session_id, token)
            raise

    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        """:meth:`save`, then :meth:`release_lock`; a backend may do both in one round trip.

        Called at the end of a request that holds the lock of ``session_id``.
        The lock must be released even when the write fails (which raises
        StorageUnavailable); a failure to release is logged, not raised.
        """
        try:
            self.save(session_id, payload, ttl, token)
        finally:
            self._release_logged(session_id, token)

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        """:meth:`touch`, then :meth:`release_lock`, as :meth:`save_and_unlock` does."""
        try:
            self.touch(session_id, ttl, token)
        finally:
            self._release_logged(session_id, token)

    def delete_and_unlock(self, session_id: str, token: Any) -> None:
        """:meth:`delete`, then :meth:`release_lock`, as :meth:`save_and_unlock` does."""
        try:
            self.delete(session_id, token)
        finally:
            self._release_logged(session_id, token)

    def load_and_touch(self, session_id: str, ttl: float) -> tuple[bytes | None, bool]:
        """The record of ``session_id`` read without the lock, and whether it was renewed too.

        A backend that can renew the idle lifetime (``ttl`` seconds) in the
        read's round trip returns ``(payload, True)``; then a request that
        only reads makes no second round trip. Default: :meth:`load` alone.
        """
        return self.load(session_id), False

    def _release_logged(self, session_id: str, token: Any) -> None:
        try:
            self.release_lock(session_id, token)
        except Exception:
            _log.exception("releasing a session lock failed")

    def release_lock(self, session_id: str, token: Any) -> None:
        """Release what :meth:`acquire_lock` (or :meth:`lock_and_load`) took."""
        try:
            if token is not Storage.NOT_LOCKED:
                self.release_shared_lock(session_id, token)
        finally:
            self.local_locks.release(session_id)

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        """Lock across processes; the in-process lock is already held. Default: nothing to do.

        Try at least once even when ``timeout`` is 0; raise LockTimeout on expiry.
        """
        return None

    def release_shared_lock(self, session_id: str, token: Any) -> None:  # noqa: B027
        """Release the cross-process lock taken by :meth:`acquire_shared_lock`."""
