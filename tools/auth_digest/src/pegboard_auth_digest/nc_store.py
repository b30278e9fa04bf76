"""Where the nonce counts already used are kept, so a replayed request is refused.

Each nonce gets a bitmap: bit ``nc`` is set the first time a request with
that nonce count is accepted, and a second request with the same pair is a
replay. Counts may arrive out of order (parallel requests), so a "highest
seen" rule would refuse good requests; the bitmap does not. Counts above
:data:`MAX_NC` are answered as a stale nonce, which makes a client fetch a
fresh one without asking its user again, and bounds a bitmap to 512 bytes.

Two stores: :class:`MemoryCounts` (one process, bounded) and
:class:`RedisCounts` (several processes or hosts agree).
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from .nonces import now

__all__ = [
    "MAX_NC",
    "CountResult",
    "MemoryCounts",
    "NonceCounts",
    "RedisCounts",
    "StoreUnavailable",
]

#: The highest nonce count accepted for one nonce.
MAX_NC = 4096


class CountResult(enum.Enum):
    """What a store says about a (nonce, nc) pair."""

    FIRST_USE = "first use"
    REPLAY = "replay"
    STALE = "stale"  # the nonce cannot be tracked any more: the client needs a new one


class StoreUnavailable(Exception):
    """The store did not answer (in time); the request cannot be checked for replay."""


class NonceCounts(Protocol):
    """A store of used nonce counts."""

    def record(self, nonce: str, nc: int, issued: int, expires: int) -> CountResult:
        """Mark ``nc`` used for ``nonce``; say whether it was used before."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class MemoryCounts:
    """Nonce counts in this process, for at most ``max_nonces`` nonces.

    Full, it forgets the nonce first used longest ago and remembers its issue
    time as a floor: a nonce issued at or before the floor that has no
    record any more is answered as stale, never accepted, so forgetting
    never lets a replay through. Expired nonces are dropped first.

    The floor starts just before the store was made: nonces issued before
    (by this process before a restart, whose counts are gone) are answered
    stale too, so a header captured before a restart cannot be replayed
    after it; clients fetch a fresh nonce without asking their user.
    """

    def __init__(self, max_nonces: int) -> None:
        self.max_nonces = max_nonces
        # nonce -> (issued, expires, bitmap); insertion order is first-use order
        self._seen: dict[str, tuple[int, int, bytearray]] = {}
        # Strictly before this second: a nonce issued in the same second is this store's.
        self._floor = now() - 1
        self._lock = threading.Lock()

    def record(self, nonce: str, nc: int, issued: int, expires: int) -> CountResult:
        if nc > MAX_NC:
            return CountResult.STALE
        index, bit = divmod(nc, 8)
        mask = 1 << bit
        with self._lock:
            entry = self._seen.get(nonce)
            if entry is None:
                if issued <= self._floor:
                    return CountResult.STALE
                if len(self._seen) >= self.max_nonces:
                    self._make_room()
                entry = (issued, expires, bytearray(index + 1))
                self._seen[nonce] = entry
            bitmap = entry[2]
            if index >= len(bitmap):
                bitmap.extend(bytes(index + 1 - len(bitmap)))
            elif bitmap[index] & mask:
                return CountResult.REPLAY
            bitmap[index] |= mask
            return CountResult.FIRST_USE

    def _make_room(self) -> None:
        seen = self._seen
        current = now()
        # PERF: walk from the oldest first use and stop at the first live nonce, so
        # making room costs O(1) amortised instead of a scan of every record.
        # Expired nonces are refused before this store is asked: forget them freely.
        for nonce, (_, expires, _) in list(_head(seen, 64)):
            if expires >= current:
                break
            del seen[nonce]
        while len(seen) >= self.max_nonces:
            nonce = next(iter(seen))
            issued = seen.pop(nonce)[0]
            self._floor = max(self._floor, issued)

    def close(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


def _head(
    seen: dict[str, tuple[int, int, bytearray]], count: int
) -> Iterator[tuple[str, tuple[int, int, bytearray]]]:
    return itertools.islice(seen.items(), count)


class RedisCounts:
    """Nonce counts in Redis: one bitmap key per nonce, expiring with the nonce.

    One round trip per request (``SETBIT`` and ``EXPIREAT`` pipelined). The
    client is built with short socket timeouts and no retries, so an
    unreachable Redis costs at most ``timeout`` seconds and raises
    StoreUnavailable, which the tool answers with 503.
    """

    def __init__(self, url: str, prefix: str, timeout: float) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )

    def record(self, nonce: str, nc: int, issued: int, expires: int) -> CountResult:
        if nc > MAX_NC:
            return CountResult.STALE
        key = self.prefix + nonce
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.setbit(key, nc, 1)
            pipe.expireat(key, expires + 1)
            previous, _ = pipe.execute()
        except self._errors as exc:
            raise StoreUnavailable(f"Redis did not answer: {exc}") from exc
        return CountResult.REPLAY if previous else CountResult.FIRST_USE

    def close(self) -> None:
        self.client.close()
