"""An in-process store: a dict in LRU order, bounded by entry count and bytes.

Records are kept as the (immutable) objects themselves, so a hit costs a
dict lookup and no decoding. When a new entry does not fit, the least
recently used ones are evicted: a full cache never refuses to store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from ..records import CachedResponse, Record
from .base import BackendSettings, CacheBackend

__all__ = ["MemoryBackend"]

_VARY_SIZE = 100


def _size(record: Record) -> int:
    return record.size if isinstance(record, CachedResponse) else _VARY_SIZE


class MemoryBackend(CacheBackend):
    """A per-process LRU cache; ``maxobjects`` entries and ``maxsize`` bytes at most."""

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        # key -> (record, size, expires at, on the monotonic clock)
        self._data: OrderedDict[str, tuple[Record, int, float]] = OrderedDict()
        self._indexes: dict[str, dict[str, float]] = {}
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
                del self._data[key]
                self._bytes -= item[1]
                return None
            self._data.move_to_end(key)
            return item[0]

    def put(self, key: str, record: Record, ttl: float) -> None:
        size = _size(record)
        limits = self.settings
        if size > limits.maxsize:
            return
        with self._guard:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (record, size, time.monotonic() + ttl)
            self._bytes += size
            self._evict(limits.maxobjects, limits.maxsize)

    def _evict(self, maxobjects: int, maxsize: int) -> None:
        data = self._data
        while data and (len(data) > maxobjects or self._bytes > maxsize):
            _, (_, size, _) = data.popitem(last=False)
            self._bytes -= size

    def delete(self, keys: Iterable[str]) -> None:
        with self._guard:
            for key in keys:
                item = self._data.pop(key, None)
                if item is not None:
                    self._bytes -= item[1]

    def scan(self, prefix: str) -> list[str]:
        with self._guard:
            return [key for key in self._data if key.startswith(prefix)]

    def index_add(self, index: str, member: str, ttl: float) -> None:
        now = time.monotonic()
        with self._guard:
            members = self._indexes.setdefault(index, {})
            members[member] = max(members.get(member, 0.0), now + ttl)
            if len(members) > 64 and len(members) & (len(members) - 1) == 0:
                # At each power of two, forget members whose entries expired anyway.
                for name in [m for m, until in members.items() if until <= now]:
                    del members[name]

    def index_pop(self, index: str) -> set[str]:
        with self._guard:
            return set(self._indexes.pop(index, {}))

    def clear(self) -> None:
        """Forget everything (used by tests and by a full purge)."""
        with self._guard:
            self._data.clear()
            self._indexes.clear()
            self._bytes = 0
