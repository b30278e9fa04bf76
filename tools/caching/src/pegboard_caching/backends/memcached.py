"""A Memcached store (pymemcache), shared by every process that uses the same servers.

Memcached keys are short and cannot hold spaces, so every key is hashed;
Memcached cannot list its keys either, so the record keys are also appended
to an index key (for purge by URL prefix). Locks use ``add``, which is atomic
in Memcached, so the anti-stampede protection spans processes here too.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Iterable
from typing import Any

from .base import BackendError, BackendSettings, BytesBackend, poll_until_free

__all__ = ["MemcachedBackend", "parse_server"]

DEFAULT_SERVER = "127.0.0.1:11211"
_INDEX = "pegboard-caching:index"
_THIRTY_DAYS = 30 * 24 * 3600
_CAS_ATTEMPTS = 5
_BATCH = 200


def parse_server(text: str) -> tuple[str, int]:
    """``"host:port"``, ``"[::1]:port"`` or ``"memcached://host:port"`` -> (host, port)."""
    value = text.strip()
    if "://" in value:
        value = value.split("://", 1)[1].rstrip("/")
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host, port = value, "11211"
    if not host or not port.isdigit():
        raise ValueError(f"a Memcached server looks like 'host:port', not {text!r}")
    return host, int(port)


def _hashed(key: str) -> str:
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    return "pbc:" + digest


def _expire(ttl: float) -> int:
    seconds = max(1, math.ceil(ttl))
    # Memcached reads an expiry beyond 30 days as a Unix time.
    return seconds if seconds <= _THIRTY_DAYS else int(time.time()) + seconds


class MemcachedBackend(BytesBackend):
    """Cache entries in Memcached; ``servers`` is a list of ``host:port``."""

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        self._client: Any = None

    def open(self) -> None:
        try:
            from pymemcache.client.hash import HashClient  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(
                "the memcached backend needs pymemcache: pip install 'pegboard-caching[memcached]'"
            ) from exc
        servers = self.settings.servers or (
            (self.settings.url,) if self.settings.url else (DEFAULT_SERVER,)
        )
        timeout = self.settings.timeout
        # No connection is made here: pymemcache connects on first use.
        self._client = HashClient(
            [parse_server(s) for s in servers],
            connect_timeout=timeout,
            timeout=timeout,
            use_pooling=True,
            retry_attempts=1,
            retry_timeout=0,
            dead_timeout=1,
            ignore_exc=False,
            default_noreply=False,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        """The pymemcache client."""
        return self._client

    def get_bytes(self, key: str) -> bytes | None:
        value: bytes | None = self._client.get(_hashed(key))
        return value

    def put_bytes(self, key: str, value: bytes, ttl: float) -> None:
        if not self._client.set(_hashed(key), value, expire=_expire(ttl)):
            raise BackendError("memcached refused to store the value")

    def delete(self, keys: Iterable[str]) -> None:
        hashed = [_hashed(k) for k in keys]
        for start in range(0, len(hashed), _BATCH):
            self._client.delete_many(hashed[start : start + _BATCH])

    # -- the key index: Memcached cannot list keys -----------------------------------

    def _append(self, key: str, line: str, expire: int) -> None:
        data = (line + "\n").encode("utf-8", "surrogatepass")
        for _ in range(_CAS_ATTEMPTS):
            if self._client.append(key, data):
                return
            if self._client.add(key, data, expire=expire):
                return
        raise BackendError(f"could not append to the index {key!r}")

    def _lines(self, key: str) -> list[str]:
        raw = self._client.get(key)
        if not raw:
            return []
        return list(dict.fromkeys(raw.decode("utf-8", "surrogatepass").splitlines()))

    def remember(self, key: str, ttl: float) -> None:
        try:
            self._append(_INDEX, key, 0)
        except Exception:
            # The index outgrew Memcached's item size: keep the keys that still exist.
            self._compact()
            self._append(_INDEX, key, 0)

    def _compact(self) -> None:
        keys = self._lines(_INDEX)
        alive: list[str] = []
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start : start + _BATCH]
            found = self._client.get_many([_hashed(k) for k in chunk])
            alive.extend(k for k in chunk if _hashed(k) in found)
        data = "".join(k + "\n" for k in alive).encode("utf-8", "surrogatepass")
        self._client.set(_INDEX, data, expire=0)

    def scan(self, prefix: str) -> list[str]:
        return [k for k in self._lines(_INDEX) if k.startswith(prefix)]

    def index_add(self, index: str, member: str, ttl: float) -> None:
        self._append(_hashed(index), member, 0)

    def index_pop(self, index: str) -> set[str]:
        key = _hashed(index)
        for _ in range(_CAS_ATTEMPTS):
            raw, cas = self._client.gets(key)
            if raw is None:
                return set()
            # Empty it only if nobody appended meanwhile; otherwise read again.
            if self._client.cas(key, b"", cas, expire=0):
                return set(raw.decode("utf-8", "surrogatepass").splitlines())
        raise BackendError(f"the index {index!r} kept changing while it was purged")

    # -- locks shared between processes -----------------------------------------------

    def acquire_lock(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        if self._client.add(_hashed(key), token.encode(), expire=_expire(ttl)):
            return token
        return None

    def release_lock(self, key: str, token: str) -> None:
        hashed = _hashed(key)
        raw, _ = self._client.gets(hashed)
        if raw is not None and raw.decode("ascii", "replace") == token:
            self._client.delete(hashed)

    def wait_for_unlock(self, key: str, timeout: float) -> None:
        hashed = _hashed(key)
        poll_until_free(lambda k: self._client.get(k) is not None, hashed, timeout)
