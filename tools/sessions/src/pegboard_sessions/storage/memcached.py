"""Memcached storage (pymemcache): records with a TTL, a lock made with ``add``.

Several servers go through pymemcache's HashClient (rendezvous hashing on
the session id, so a session's record and its lock share a server). It is
configured never to take a failing server out of the ring: moving a
session's keys to another server would let two processes lock the same
session on two servers. A server that is down gives 503 for the sessions it
holds, until it is back.

Memcached counts expiry in whole seconds on a one-second clock, so TTLs are
rounded up and one second is added: a session may live up to two seconds
longer than ``timeout``, never shorter.
"""

from __future__ import annotations

import logging
import math
import secrets
import sys
import time
from typing import Any

from ..errors import LockTimeout, StorageUnavailable
from ..settings import StorageConfig
from .base import Storage

__all__ = ["MemcachedStorage", "parse_servers"]

_log = logging.getLogger("pegboard_sessions")
_LOCK_POLL = 0.002
#: Longest key memcached accepts.
_MAX_KEY = 250
_LOCK_SUFFIX = b":lock"


def _seconds(ttl: float) -> int:
    return math.ceil(ttl) + 1


def parse_servers(servers: tuple[str, ...]) -> list[tuple[str, int] | str]:
    """``("10.0.0.1:11211", "/run/memcached.sock")`` -> pymemcache server addresses."""
    parsed: list[tuple[str, int] | str] = []
    for server in servers:
        if server.startswith("/"):
            parsed.append(server)
            continue
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(
                f"servers: a Memcached server looks like host:port or /path/to.sock, not {server!r}"
            )
        parsed.append((host.strip("[]"), int(port)))
    return parsed


def _session_hasher() -> type:
    """RendezvousHash that places a lock key ``<key>:lock`` on its session's server.

    Otherwise the lock and the record could live on two servers, and a
    session would depend on both being up.
    """
    from pymemcache.client.rendezvous import RendezvousHash  # type: ignore[import-untyped]

    class SessionHash(RendezvousHash):  # type: ignore[misc]
        def get_node(self, key: bytes | str) -> Any:
            if isinstance(key, bytes):
                key = key.removesuffix(_LOCK_SUFFIX)
            return super().get_node(key)

    return SessionHash


class MemcachedStorage(Storage):
    """Sessions as Memcached items ``<key_prefix><id>``; the lock is ``<key>:lock``."""

    expires_itself = True

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        self._client: Any = None
        self._prefix = config.key_prefix.encode("ascii")

    @classmethod
    def check_config(cls, config: StorageConfig) -> None:
        if not config.servers:
            raise ValueError(
                "servers is required for storage_type 'memcached', e.g. ['127.0.0.1:11211']"
            )
        parse_servers(config.servers)
        prefix = config.key_prefix
        if not prefix.isascii() or any(c.isspace() or not c.isprintable() for c in prefix):
            raise ValueError("key_prefix must be printable ASCII without spaces for Memcached")
        if len(prefix) + 43 + len(":lock") > _MAX_KEY:
            raise ValueError("key_prefix is too long for Memcached keys (250 bytes at most)")
        try:
            import pymemcache  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise ValueError(
                "storage_type 'memcached' needs pymemcache: "
                "pip install 'pegboard-sessions[memcached]'"
            ) from None

    def open(self) -> None:
        from pymemcache.client.hash import HashClient  # type: ignore[import-untyped]

        timeout = self.config.backend_timeout
        self._client = HashClient(
            parse_servers(self.config.servers),
            hasher=_session_hasher(),
            connect_timeout=timeout,
            timeout=timeout,
            no_delay=True,
            use_pooling=True,
            max_pool_size=self.config.pool_size,
            ignore_exc=False,
            default_noreply=False,
            # Never drop a server from the ring (see the module docstring): retry it on every
            # call and let each failure raise.
            retry_attempts=sys.maxsize,
            retry_timeout=-1,
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _run(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        from pymemcache.exceptions import MemcacheError  # type: ignore[import-untyped]

        client = self._client
        if client is None:
            raise StorageUnavailable("the Memcached session store is closed")
        try:
            return getattr(client, method)(*args, **kwargs)
        except (MemcacheError, OSError) as exc:
            raise StorageUnavailable(f"Memcached {what} failed: {exc!r}") from exc

    def _key(self, session_id: str) -> bytes:
        return self._prefix + session_id.encode("ascii")

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        value: bytes | None = self._run("get", "get", self._key(session_id))
        return value

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        if not self._run(
            "set", "set", self._key(session_id), payload, expire=_seconds(ttl), noreply=False
        ):
            raise StorageUnavailable("Memcached did not store the session (too large?)")

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        self._run("touch", "touch", self._key(session_id), expire=_seconds(ttl), noreply=False)

    def delete(self, session_id: str, lock: Any = None) -> None:
        self._run("delete", "delete", self._key(session_id), noreply=False)

    # -- locking: add() succeeds for one client only; the lease is the item's expiry --

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        key = self._key(session_id) + _LOCK_SUFFIX
        token = secrets.token_hex(16).encode("ascii")
        deadline = time.monotonic() + timeout
        while not self._run("add", "add", key, token, expire=_seconds(lease), noreply=False):
            if time.monotonic() + _LOCK_POLL > deadline:
                raise LockTimeout(session_id, timeout)
            time.sleep(_LOCK_POLL)
        return token

    def release_shared_lock(self, session_id: str, token: Any) -> None:
        key = self._key(session_id) + _LOCK_SUFFIX
        try:
            # Delete only our own lock. Between this get and the delete the lock could only
            # change hands if its lease ran out first, which a sane lock_lease rules out.
            if self._run("get", "get", key) == token:
                self._run("delete", "delete", key, noreply=False)
            else:
                _log.warning("a session lock expired before it was released; raise lock_lease")
        except StorageUnavailable as exc:
            _log.warning("could not release a session lock in Memcached: %s", exc)
