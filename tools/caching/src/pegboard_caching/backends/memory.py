"""An in-process store: a dict in LRU order, bounded by entry count and bytes.

Records are kept as the (immutable) objects themselves, so a hit costs a
dict lookup and no decoding. When a new entry does not fit, the least
recently used ones are evicted: a full cache never refuses to store.

``maxsize`` bounds what the process really holds: each entry counts its key
(a URL can be long, and each variant's key repeats it), its record with
every object it is made of, and the dict and bookkeeping around it; a tag
index member counts against the entry it names, and goes with it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from ..records import CachedResponse, Record
from .base import BackendSettings, CacheBackend

__all__ = ["MemoryBackend", "footprint"]

_sizeof = sys.getsizeof
#: a slot of the LRU dict and its node, the (record, size, expiry) tuple, the float and int in it
_ENTRY_OVERHEAD = 240
#: one member of a tag index: its slot in the index, and in the entry's list of indexes
_MEMBER_OVERHEAD = 160
#: the header lists a hit builds once and keeps (CachedResponse.wsgi_headers), per header
_WSGI_PER_HEADER = 16
_WSGI_FIXED = 2 * _sizeof([]) + _sizeof(("Content-Length", "")) + 2 * _sizeof("1234567")
#: the float fields of a CachedResponse (stored_at ... last_modified)
_FLOATS = 6 * _sizeof(0.0)


def _response_size(record: CachedResponse) -> int:
    size = _sizeof(record) + _sizeof(record.body) + _FLOATS + _WSGI_FIXED
    headers, replay = record.headers, record.replay
    size += _sizeof(headers) + _sizeof(replay) + _WSGI_PER_HEADER * len(headers)
    for (name, value), item in zip(headers, replay, strict=True):
        size += _sizeof((name, value)) + _sizeof(name) + _sizeof(value)
        size += _sizeof(item) + _sizeof(item[0])  # the lower-cased name is a string of its own
    size += _sizeof(record.vary) + _sizeof(record.vary_values)
    size += sum(_sizeof(name) for name in record.vary)
    size += sum(_sizeof(value) for value in record.vary_values if value is not None)
    return size


def footprint(key: str, record: Record) -> int:
    """Roughly the bytes ``record`` stored under ``key`` keeps alive in this process."""
    size = _ENTRY_OVERHEAD + _sizeof(key)
    if isinstance(record, CachedResponse):
        return size + _response_size(record)
    names = record.names
    return (
        size
        + _sizeof(record)
        + _sizeof(names)
        + sum(_sizeof(n) for n in names)
        + _sizeof(record.generation)
    )


class MemoryBackend(CacheBackend):
    """A per-process LRU cache; ``maxobjects`` entries and ``maxsize`` bytes at most."""

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        # key -> (record, size, expires at, on the monotonic clock)
        self._data: OrderedDict[str, tuple[Record, int, float]] = OrderedDict()
        # index -> its members; member -> the indexes holding it (dropped with its entry)
        self._indexes: dict[str, set[str]] = {}
        self._member_of: dict[str, list[str]] = {}
        self._bytes = 0
        self._guard = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held, as counted for ``maxsize``."""
        return self._bytes

    @property
    def count(self) -> int:
        """Entries held, as counted for ``maxobjects``."""
        return len(self._data)

    def get(self, key: str) -> Record | None:
        # PERF: the hit path; one lock, one lookup, one LRU move.
        with self._guard:
            item = self._data.get(key)
            if item is None:
                return None
            if item[2] <= time.monotonic():
                self._drop(key)
                return None
            self._data.move_to_end(key)
            return item[0]

    def put(self, key: str, record: Record, ttl: float) -> None:
        size = footprint(key, record)
        limits = self.settings
        if size > limits.maxsize:
            return
        with self._guard:
            self._drop(key)
            self._data[key] = (record, size, time.monotonic() + ttl)
            self._bytes += size
            self._evict(limits.maxobjects, limits.maxsize)

    def _drop(self, key: str) -> None:
        """Remove ``key`` and its tag memberships (the guard is held)."""
        item = self._data.pop(key, None)
        if item is None:
            return
        self._bytes -= item[1]
        for index in self._member_of.pop(key, ()):
            members = self._indexes.get(index)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._indexes[index]

    def _evict(self, maxobjects: int, maxsize: int) -> None:
        data = self._data
        while data and (len(data) > maxobjects or self._bytes > maxsize):
            self._drop(next(iter(data)))

    def delete(self, keys: Iterable[str]) -> None:
        with self._guard:
            for key in keys:
                self._drop(key)

    def scan(self, prefix: str) -> list[str]:
        with self._guard:
            return [key for key in self._data if key.startswith(prefix)]

    def index_add(self, index: str, member: str, ttl: float) -> None:
        """Add ``member`` to ``index`` while its entry lives (a member without one is skipped).

        The membership counts against the entry's size and goes when the entry
        goes (evicted, expired, deleted), so indexes never outgrow the cache.
        """
        with self._guard:
            item = self._data.get(member)
            if item is None:
                return  # nothing stored under it, so nothing to purge
            members = self._indexes.setdefault(index, set())
            if member in members:
                return
            members.add(member)
            self._member_of.setdefault(member, []).append(index)
            cost = _MEMBER_OVERHEAD
            self._data[member] = (item[0], item[1] + cost, item[2])
            self._bytes += cost
            limits = self.settings
            self._evict(limits.maxobjects, limits.maxsize)

    def index_pop(self, index: str) -> set[str]:
        with self._guard:
            members = self._indexes.pop(index, set())
            for member in members:
                held = self._member_of.get(member)
                if held is None or index not in held:
                    continue
                held.remove(index)
                if not held:
                    del self._member_of[member]
                item = self._data.get(member)
                if item is not None:
                    self._data[member] = (item[0], item[1] - _MEMBER_OVERHEAD, item[2])
                    self._bytes -= _MEMBER_OVERHEAD
            return members

    def clear(self) -> None:
        """Forget everything (used by tests and by a full purge)."""
        with self._guard:
            self._data.clear()
            self._indexes.clear()
            self._member_of.clear()
            self._bytes = 0
