"""The contract every cache backend fulfils, and the defaults most backends share.

The cache layer (:mod:`pegboard_caching.cache`) only ever talks to a backend
through :class:`CacheBackend`. A backend stores *records* under string keys
with a time to live, keeps small *indexes* (a set of strings under a key, used
for purging by tag), can list the record keys that start with a prefix (purge
by URL prefix), and offers a lock per key for the anti-stampede protection.

Backends that keep bytes (a network store) subclass :class:`BytesBackend` and
implement the ``*_bytes`` methods; the encoding of records is done for them.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pegboard

from ..records import Record, decode, encode

__all__ = ["BackendError", "BackendSettings", "BytesBackend", "CacheBackend", "poll_until_free"]


class BackendError(Exception):
    """The store could not be reached or answered in a way that cannot be used."""


@dataclass(frozen=True, slots=True)
class BackendSettings:
    """What a backend is built from: the part of ``tools.caching.*`` that names a store.

    Two paths whose settings are equal share one backend instance (one pool).
    """

    name: str
    url: str | None = None
    servers: tuple[str, ...] = ()
    maxobjects: int = 1000
    maxsize: int = 10_000_000
    #: seconds any one operation may take (connect and read), so a store that hangs
    #: costs a bounded time
    timeout: float = 0.5


class CacheBackend(ABC):
    """Where cached responses live; one instance per app and store.

    ``open()`` runs when the app starts and ``close()`` when it stops. Every
    other method may raise any exception when the store is unusable: the cache
    layer then steps aside (serves uncached) for ``retry_interval`` seconds.
    Locks default to in-process ones; a backend shared between processes
    overrides the three lock methods so the protection spans processes too.
    """

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        #: monotonic time until which the cache layer leaves this backend alone
        self.down_until = 0.0
        #: for the health the app reports: when it failed (``time.time()``) and why
        self.down_since: float | None = None
        self.last_error = ""
        self.up_since = time.time()
        self._locks: dict[str, tuple[str, threading.Event]] = {}
        self._locks_guard = threading.Lock()

    # -- lifecycle ------------------------------------------------------------

    def open(self) -> None:  # noqa: B027 - optional for subclasses
        """Prepare clients or pools; must not fail when the store is down."""

    def close(self) -> None:  # noqa: B027 - optional for subclasses
        """Release what ``open()`` made."""

    # -- records ---------------------------------------------------------------

    @abstractmethod
    def get(self, key: str) -> Record | None:
        """The record under ``key``, or None when absent, expired or unreadable."""

    @abstractmethod
    def put(self, key: str, record: Record, ttl: float) -> None:
        """Store ``record`` under ``key`` for ``ttl`` seconds (replacing any)."""

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Remove ``keys`` (absent keys are not an error)."""

    @abstractmethod
    def scan(self, prefix: str) -> list[str]:
        """Every stored key that starts with ``prefix`` (records, maybe variants too)."""

    def remember(self, key: str, ttl: float) -> None:  # noqa: B027 - optional
        """Called when a new record key is created; for stores that cannot ``scan``."""

    # -- indexes (purge by tag) --------------------------------------------------

    @abstractmethod
    def index_add(self, index: str, member: str, ttl: float) -> None:
        """Add ``member`` to the set ``index``; keep the set at least ``ttl`` seconds."""

    @abstractmethod
    def index_pop(self, index: str) -> set[str]:
        """Return the members of ``index`` and remove the index."""

    # -- locks (anti-stampede) -----------------------------------------------------

    def acquire_lock(self, key: str, ttl: float) -> str | None:
        """Take the lock ``key`` for at most ``ttl`` seconds; its token, or None if held."""
        with self._locks_guard:
            held = self._locks.get(key)
            if held is not None:
                return None
            token = secrets.token_hex(8)
            self._locks[key] = (token, threading.Event())
            return token

    def release_lock(self, key: str, token: str) -> None:
        """Release ``key`` if ``token`` still holds it, and wake its waiters."""
        with self._locks_guard:
            held = self._locks.get(key)
            if held is None or held[0] != token:
                return
            del self._locks[key]
        held[1].set()

    def wait_for_unlock(self, key: str, timeout: float) -> None:
        """Block until ``key`` is released or ``timeout`` seconds have passed."""
        held = self._locks.get(key)
        if held is not None:
            held[1].wait(timeout)

    # -- health --------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``caching redis redis://host:6379/0``: the backend and where it is, no password."""
        settings = self.settings
        where = settings.url or ",".join(settings.servers)
        where = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", where)
        return f"caching {settings.name}" + (f" {where}" if where else "")

    def health(self) -> pegboard.Health:
        """The state the cache last saw: up, or stepped aside since when and why (no I/O)."""
        if self.down_since is not None:
            return pegboard.Health(self.name, False, self.last_error, self.down_since)
        return pegboard.Health(self.name, True, "answering", self.up_since)

    def usable(self) -> bool:
        """False while the backend is marked down (see ``down_until``)."""
        # PERF: one attribute read on the hot path while the backend is healthy.
        return self.down_until == 0.0 or time.monotonic() >= self.down_until


class BytesBackend(CacheBackend):
    """A backend that stores bytes: records are encoded without pickle."""

    def get(self, key: str) -> Record | None:
        raw = self.get_bytes(key)
        return None if raw is None else decode(raw)

    def put(self, key: str, record: Record, ttl: float) -> None:
        self.put_bytes(key, encode(record), ttl)

    @abstractmethod
    def get_bytes(self, key: str) -> bytes | None:
        """The bytes under ``key`` or None."""

    @abstractmethod
    def put_bytes(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""


def poll_until_free(exists: Callable[[str], bool], key: str, timeout: float) -> None:
    """Wait for a shared lock by polling ``exists(key)`` with a growing interval.

    Used by network backends, where no in-process event can tell a waiter in
    another process that the lock went away.
    """
    deadline = time.monotonic() + timeout
    interval = 0.005
    while exists(key):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(interval, left))
        interval = min(interval * 2, 0.05)
