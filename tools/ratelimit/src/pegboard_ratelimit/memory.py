"""The memory store: GCRA state in this process, bounded in size, idle keys evicted.

A key is idle once every TAT it holds has passed: it owes nothing, and
forgetting it changes no answer. Each request that adds a key looks at the
two keys seen least recently and drops those that are idle (one that is not
goes to the back of the line), so idle keys leave at least as fast as new
ones come, at a constant cost per new key. ``max_keys`` bounds the store
whatever the traffic: past it the key seen least recently is dropped even if
it still owes, which gives that client a fresh allowance (said once in the
log, with the option to raise).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from .gcra import Rates, Verdict, decide, decide_one

__all__ = ["MemoryStore"]

_log = logging.getLogger("pegboard_ratelimit")
#: How many of the least recently seen keys each request examines for idleness.
_SWEEP = 2


class MemoryStore:
    """Counters of one process, shared by every route of the app (thread-safe)."""

    def __init__(self, max_keys: int, clock: Callable[[], int] = time.monotonic_ns) -> None:
        """``clock()`` gives the time in nanoseconds (``time.monotonic_ns``)."""
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, list[int]] = OrderedDict()
        self._warned = False

    def __len__(self) -> int:
        return len(self._entries)

    def hit(
        self, buckets: Sequence[str], rates: Sequence[Rates], argv: Sequence[int] = ()
    ) -> Verdict:
        """Count one request under each of ``buckets`` (one per key), with its limits.

        ``argv`` is the Redis store's encoding of ``rates``, unused here: both
        stores answer the same call.
        """
        if len(buckets) == 1:
            return self.hit_one(buckets[0], rates[0])
        entries = self._entries
        with self._lock:
            now = self._clock() // 1000  # microseconds, as GCRA counts
            verdict = decide([entries.get(b) for b in buckets], now, rates)
            new_tats = verdict[2]
            if new_tats is not None:
                grew = False
                for bucket, tats in zip(buckets, new_tats, strict=True):
                    if bucket in entries:
                        entries.move_to_end(bucket)
                    else:
                        grew = True
                    entries[bucket] = tats
                if grew:
                    self._sweep(now)
        return verdict

    def hit_one(self, bucket: str, rates: Rates, argv: Sequence[int] = ()) -> Verdict:
        """:meth:`hit` for one key (PERF: the usual case, no lists to build)."""
        entries = self._entries
        with self._lock:
            now = self._clock() // 1000  # microseconds, as GCRA counts
            tats = entries.get(bucket)
            verdict = decide_one(tats, now, rates)
            new_tats = verdict[2]
            if new_tats is not None:
                entries[bucket] = new_tats[0]
                if tats is None:
                    self._sweep(now)  # the store grew: look for idle keys to drop
                else:
                    entries.move_to_end(bucket)
        return verdict

    def _sweep(self, now: int) -> None:
        entries = self._entries
        for _ in range(_SWEEP):
            if not entries:
                return
            oldest = next(iter(entries))
            if max(entries[oldest]) <= now:
                del entries[oldest]
            else:
                entries.move_to_end(oldest)
        while len(entries) > self.max_keys:
            _, tats = entries.popitem(last=False)
            if max(tats) > now and not self._warned:
                self._warned = True
                _log.warning(
                    "the rate limit memory store is full (%d keys still counting): the keys "
                    "seen least recently are forgotten and their clients get a fresh "
                    "allowance; raise tools.ratelimit.max_keys",
                    self.max_keys,
                )
        if self._warned and len(entries) < self.max_keys * 9 // 10:
            self._warned = False

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._entries.clear()
