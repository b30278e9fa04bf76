"""Redis storage (redis-py): records with a TTL, a lock key released by check-and-delete.

A request that locks its session makes two round trips: a Lua script that
reads the record and takes the lock (only if there is a record: an id
without one needs no lock and leaves nothing behind), and one that writes,
renews or deletes the record and releases the lock.

``url`` accepts what redis-py's ``from_url`` does (``redis://``, ``rediss://``
for TLS, ``unix://``) plus two forms of our own for the topologies redis-py
supports through other classes:

- ``redis+sentinel://[:password@]host:port[,host:port...]/service[/db]``
  asks the Sentinels for the master of ``service`` (``rediss+sentinel://``
  for TLS to the master);
- ``redis+cluster://host:port[/]`` (or ``rediss+cluster://``) talks to a
  Redis Cluster, discovering its nodes from that one.
"""

from __future__ import annotations

import functools
import inspect
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import LockTimeout, StorageUnavailable
from ..settings import StorageConfig
from .base import Storage
from .orphans import OrphanedLocks

__all__ = ["RedisStorage", "client_from_url"]

_log = logging.getLogger("pegboard_sessions")

_PLAIN_SCHEMES = ("redis", "rediss", "unix")
_SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
_CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
#: Seconds between two attempts to take a lock held by another process.
_LOCK_POLL = 0.002
_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
# KEYS: the record, its lock; ARGV: token, lease (ms). Returns {1, payload}: locked;
# {0}: another token holds the lock; {2}: no record, so nothing locked. Taking a lock that
# already holds this token again succeeds, so a command retried after a lost answer
# does not wait for its own lock.
_LOCK_AND_LOAD = """
local payload = redis.call('get', KEYS[1])
if not payload then
    return {2}
end
local holder = redis.call('get', KEYS[2])
if holder and holder ~= ARGV[1] then
    return {0}
end
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {1, payload}
"""
# KEYS: the record; ARGV: the idle lifetime (ms). The record, renewed if there is one.
_GET_AND_RENEW = """
local payload = redis.call('get', KEYS[1])
if payload then
    redis.call('pexpire', KEYS[1], ARGV[1])
end
return payload
"""
# KEYS: the record, its lock; ARGV: token, what to do ('set', 'pexpire', 'del'), the
# idle lifetime (ms), the payload. Returns 1 if the lock was still this token's.
_WRITE_AND_UNLOCK = """
local what = ARGV[2]
if what == 'set' then
    redis.call('set', KEYS[1], ARGV[4], 'PX', ARGV[3])
elseif what == 'pexpire' then
    redis.call('pexpire', KEYS[1], ARGV[3])
else
    redis.call('del', KEYS[1])
end
if redis.call('get', KEYS[2]) == ARGV[1] then
    return redis.call('del', KEYS[2])
end
return 0
"""


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


def client_from_url(url: str, timeout: float, pool_size: int) -> Any:
    """A redis-py client for ``url`` with connect and socket timeouts of ``timeout`` s.

    A failed command is retried once, on a fresh connection, without backoff:
    that hides a connection broken by a server restart and keeps a request on
    an unreachable server to about two timeouts.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    scheme = urlsplit(url).scheme.lower()
    common: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1),
    }
    if scheme in _PLAIN_SCHEMES:
        return redis.Redis.from_url(url, max_connections=max(pool_size, 1) * 4, **common)
    if scheme in _CLUSTER_SCHEMES:
        from redis.cluster import RedisCluster

        plain = url.replace("+cluster", "", 1)
        return RedisCluster.from_url(plain, socket_timeout=timeout, socket_connect_timeout=timeout)
    if scheme in _SENTINEL_SCHEMES:
        from redis.sentinel import Sentinel

        sentinels, service, db, password = parse_sentinel_url(url)
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            sentinels,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout},
        )
        return sentinel.master_for(  # type: ignore[no-untyped-call]
            service, db=db, password=password, ssl=scheme.startswith("rediss"), **common
        )
    raise ValueError(f"unsupported Redis URL scheme {scheme!r}")


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    """``redis+sentinel://:pw@h1:26379,h2:26379/mymaster/0``.

    Returns (sentinel addresses, service name, db number, password).
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    password = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        password = unquote(userinfo.partition(":")[2]) or None
    sentinels = []
    for item in netloc.split(","):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"url: a Sentinel address looks like host:port, not {item!r}")
        sentinels.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ValueError(
            "url: a Sentinel URL names the service: redis+sentinel://host:26379/mymaster"
        )
    db = int(path[1]) if len(path) > 1 else 0
    return sentinels, path[0], db, password


class RedisStorage(Storage):
    """Sessions as Redis strings ``<key_prefix>{<id>}`` that expire by PEXPIRE.

    The id is a hash tag, so a session's record and its lock ``...:lock``
    live in one Cluster slot and can share a pipeline.
    """

    expires_itself = True

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        self._client: Any = None
        #: the connection pool of a plain or Sentinel client, for the scripts' fast path
        self._pool: Any = None
        self._get_connection: Any = None
        self._scripts: dict[str, Any] = {}
        self._prefix = config.key_prefix
        self._orphans = OrphanedLocks(self._release_orphan, "Redis")
        #: the longest lease asked for: how long a lock that could not be released may stay
        self._lease = 0.0

    @classmethod
    def check_config(cls, config: StorageConfig) -> None:
        if not config.url:
            raise ValueError(
                "url is required for storage_type 'redis', e.g. 'redis://127.0.0.1:6379/0'"
            )
        scheme = urlsplit(config.url).scheme.lower()
        if scheme not in (*_PLAIN_SCHEMES, *_SENTINEL_SCHEMES, *_CLUSTER_SCHEMES):
            raise ValueError(
                f"url: the scheme {scheme!r} is not one of redis, rediss, unix, "
                "redis+sentinel, rediss+sentinel, redis+cluster, rediss+cluster"
            )
        if scheme in _SENTINEL_SCHEMES:
            parse_sentinel_url(config.url)
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ValueError(
                "storage_type 'redis' needs redis-py: pip install 'pegboard-sessions[redis]'"
            ) from None

    def open(self) -> None:
        client = client_from_url(
            self.config.url or "", self.config.backend_timeout, self.config.pool_size
        )
        self._scripts = {
            source: client.register_script(source)
            for source in (_UNLOCK, _LOCK_AND_LOAD, _WRITE_AND_UNLOCK, _GET_AND_RENEW)
        }
        import redis

        # A Redis Cluster client has no single pool: its scripts go the generic way.
        self._pool = client.connection_pool if isinstance(client, redis.Redis) else None
        self._get_connection = None
        if self._pool is not None:
            get = self._pool.get_connection
            # redis-py before 5.3 wants a command name, later ones deprecate it.
            wanted = inspect.signature(get).parameters.get("command_name")
            needs_name = wanted is not None and wanted.default is inspect.Parameter.empty
            self._get_connection = functools.partial(get, "EVALSHA") if needs_name else get
        self._client = client

    def close(self) -> None:
        self._orphans.close()
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}{{{session_id}}}"

    def _lock_key(self, session_id: str) -> str:
        return f"{self._prefix}{{{session_id}}}:lock"

    def _eval(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script of this module (EVALSHA; loaded again if the server lost it)."""
        script = self._scripts.get(source)
        if script is None:
            raise StorageUnavailable("the Redis session store is closed")
        pool = self._pool
        if pool is None:
            return self._run("script", lambda c: script(keys=keys, args=args, client=c))
        # PERF: straight to a pooled connection: redis-py's Script and execute_command
        # layers cost more CPU than the round trip itself on loopback.
        import redis
        from redis.exceptions import NoScriptError

        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        retried = loaded = False
        try:
            conn = self._get_connection()
        except redis.RedisError as exc:
            raise StorageUnavailable(f"Redis script failed: {exc}") from exc
        try:
            while True:
                try:
                    conn.send_command(*command)
                    return conn.read_response()
                except NoScriptError:
                    if loaded:
                        raise
                    conn.send_command("SCRIPT", "LOAD", source)  # after a restart
                    conn.read_response()
                    loaded = True
                except (redis.ConnectionError, redis.TimeoutError):
                    # As the client's own retry: once more, on a fresh connection (this
                    # hides a connection broken by a server restart).
                    conn.disconnect()
                    if retried:
                        raise
                    retried = True
        except redis.RedisError as exc:
            raise StorageUnavailable(f"Redis script failed: {exc}") from exc
        finally:
            pool.release(conn)

    def _run(self, what: str, call: Callable[[Any], Any]) -> Any:
        """``call(client)``, with redis-py's errors turned into StorageUnavailable."""
        import redis

        client = self._client
        if client is None:
            raise StorageUnavailable("the Redis session store is closed")
        try:
            return call(client)
        except redis.RedisError as exc:
            raise StorageUnavailable(f"Redis {what} failed: {exc}") from exc

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        value: bytes | None = self._run("GET", lambda c: c.get(self._key(session_id)))
        return value

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        self._run("SET", lambda c: c.set(self._key(session_id), payload, px=_ms(ttl)))

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        self._run("PEXPIRE", lambda c: c.pexpire(self._key(session_id), _ms(ttl)))

    def delete(self, session_id: str, lock: Any = None) -> None:
        self._run("DEL", lambda c: c.delete(self._key(session_id)))

    def load_and_touch(self, session_id: str, ttl: float) -> tuple[bytes | None, bool]:
        # PERF: one round trip (GETEX would do it too, from Redis 6.2 on).
        payload: bytes | None = self._eval(_GET_AND_RENEW, [self._key(session_id)], [_ms(ttl)])
        return payload, True

    # -- locking: a lock key with a random token and a lease; only the holder deletes it --

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        # PERF: the read and the lock in one script, one round trip.
        deadline = time.monotonic() + timeout
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        self._lease = max(self._lease, lease)
        token = secrets.token_hex(16)
        keys = [self._key(session_id), self._lock_key(session_id)]
        args = [token, _ms(lease)]
        try:
            while True:
                try:
                    answer = self._eval(_LOCK_AND_LOAD, keys, args)
                except StorageUnavailable:
                    # The script may have run with its answer lost: the lock would then
                    # stay for a lease unless released once Redis answers again.
                    self._orphans.add(session_id, token, lease)
                    raise
                if answer[0] == 1:
                    return token, answer[1]
                if answer[0] == 2:
                    return Storage.NOT_LOCKED, None
                if time.monotonic() + _LOCK_POLL > deadline:
                    raise LockTimeout(session_id, timeout)
                time.sleep(_LOCK_POLL)
        except BaseException:
            self.local_locks.release(session_id)
            raise

    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            super().save_and_unlock(session_id, payload, ttl, token)
        else:
            self._write_unlocking(session_id, token, "set", _ms(ttl), payload)

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            super().touch_and_unlock(session_id, ttl, token)
        else:
            self._write_unlocking(session_id, token, "pexpire", _ms(ttl), b"")

    def delete_and_unlock(self, session_id: str, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            super().delete_and_unlock(session_id, token)
        else:
            self._write_unlocking(session_id, token, "del", 0, b"")

    def _write_unlocking(
        self, session_id: str, token: Any, what: str, ms: int, payload: bytes
    ) -> None:
        """The record written, renewed or deleted and the lock released: one round trip."""
        keys = [self._key(session_id), self._lock_key(session_id)]
        args = [token, what, ms, payload]
        try:
            released = self._eval(_WRITE_AND_UNLOCK, keys, args)
        except StorageUnavailable:
            self._orphans.add(session_id, token, self._lease)
            raise
        finally:
            self.local_locks.release(session_id)
        if not released:
            _log.warning("a session lock expired before it was released; raise lock_lease")

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        deadline = time.monotonic() + timeout
        self._lease = max(self._lease, lease)
        token = secrets.token_hex(16)
        key = self._lock_key(session_id)
        while not self._run("SET NX", lambda c: c.set(key, token, nx=True, px=_ms(lease))):
            if time.monotonic() + _LOCK_POLL > deadline:
                raise LockTimeout(session_id, timeout)
            time.sleep(_LOCK_POLL)
        return token

    def release_shared_lock(self, session_id: str, token: Any) -> None:
        try:
            released = self._release_orphan(session_id, token)
        except StorageUnavailable as exc:
            # Released as soon as Redis answers again (a restart with persistence keeps the
            # key); the lease frees it in any case.
            _log.warning("could not release a session lock in Redis: %s", exc)
            self._orphans.add(session_id, token, self._lease)
            return
        if not released:
            _log.warning("a session lock expired before it was released; raise lock_lease")

    def _release_orphan(self, session_id: str, token: Any) -> bool:
        """Delete the lock of ``session_id`` if ``token`` still holds it; True if it did."""
        return bool(self._eval(_UNLOCK, [self._lock_key(session_id)], [token]))
