"""A Redis store (redis-py), shared by every process that uses the same server.

Locks are Redis keys (``SET NX PX`` and a compare-and-delete script), so the
anti-stampede protection spans processes. Every call has a socket timeout
and no retries: a server that is down costs one bounded failure, after which
the cache steps aside.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from .base import BackendError, BackendSettings, BytesBackend, poll_until_free

__all__ = ["RedisBackend"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"
_GLOB = re.compile(r"([*?\[\]\\])")
# Delete the lock only if it still holds our token (another holder may have it now).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
# Add a member; make the set live at least as long as its longest-lived member
# (EXPIRE's NX/GT flags would need Redis 7).
_INDEX_ADD = """
redis.call('sadd', KEYS[1], ARGV[1])
if redis.call('ttl', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('expire', KEYS[1], ARGV[2])
end
return 1
"""
_BATCH = 500


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class RedisBackend(BytesBackend):
    """Cache entries in Redis; ``url`` like ``redis://host:6379/0``."""

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        self._client: Any = None
        self._release: Any = None
        self._index_add: Any = None

    def open(self) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(
                "the redis backend needs redis-py: pip install 'pegboard-caching[redis]'"
            ) from exc
        timeout = self.settings.timeout
        # No connection is made here: redis-py connects on first use.
        self._client = redis.Redis.from_url(
            self.settings.url or DEFAULT_URL,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
            client_name="pegboard-caching",
        )
        self._release = self._client.register_script(_RELEASE)
        self._index_add = self._client.register_script(_INDEX_ADD)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client.connection_pool.disconnect()
            self._client = None

    @property
    def client(self) -> Any:
        """The redis-py client (for tests and for purging from outside a request)."""
        return self._client

    def get_bytes(self, key: str) -> bytes | None:
        value: bytes | None = self._client.get(key)
        return value

    def put_bytes(self, key: str, value: bytes, ttl: float) -> None:
        self._client.set(key, value, px=_ms(ttl))

    def delete(self, keys: Iterable[str]) -> None:
        batch = list(keys)
        for start in range(0, len(batch), _BATCH):
            self._client.unlink(*batch[start : start + _BATCH])

    def scan(self, prefix: str) -> list[str]:
        pattern = _GLOB.sub(r"\\\1", prefix) + "*"
        return [
            k.decode("utf-8", "surrogateescape")
            for k in self._client.scan_iter(match=pattern, count=1000)
        ]

    def index_add(self, index: str, member: str, ttl: float) -> None:
        self._index_add(keys=[index], args=[member, max(1, int(ttl) + 1)])

    def index_pop(self, index: str) -> set[str]:
        pipe = self._client.pipeline(transaction=True)
        pipe.smembers(index)
        pipe.delete(index)
        members, _ = pipe.execute()
        return {m.decode("utf-8", "surrogateescape") for m in members}

    def acquire_lock(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        if self._client.set(key, token, px=_ms(ttl), nx=True):
            return token
        return None

    def release_lock(self, key: str, token: str) -> None:
        self._release(keys=[key], args=[token])

    def wait_for_unlock(self, key: str, timeout: float) -> None:
        poll_until_free(lambda k: bool(self._client.exists(k)), key, timeout)
