"""Memcached storage: records with a TTL, a lock item made with ``add``.

A request that locks its session makes two round trips, each a pipeline of
text-protocol commands (see :mod:`.memcached_wire`): ``add`` of the lock
item and ``gets`` of the lock and the record; then ``set`` (or ``touch``,
``delete``) of the record and the lock's release. The release is a ``cas``
with the lock's CAS unique and a negative expiry: the item expires at once,
and only if it is still this request's lock (a lock whose lease ran out and
that another request took has another CAS unique).

Several servers: a session's record and lock live on the server chosen by
rendezvous hashing on its key (pymemcache's ``RendezvousHash``, so sessions
stay where earlier versions put them). A server is never dropped from the
ring: moving a session's keys to another server would let two processes
lock the same session on two servers. A server that is down gives 503 for
the sessions it holds, until it is back.

Memcached counts expiry in whole seconds on a one-second clock, so TTLs are
rounded up and one second is added: a session may live up to two seconds
longer than ``timeout``, never shorter.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..errors import LockTimeout, StorageUnavailable
from ..settings import StorageConfig
from .base import Storage
from .memcached_wire import Connection, MemcachedError, Server
from .orphans import OrphanedLocks

__all__ = ["MemcachedStorage", "parse_servers"]

_log = logging.getLogger("pegboard_sessions")
_LOCK_POLL = 0.002
#: Longest key memcached accepts.
_MAX_KEY = 250
_LOCK_SUFFIX = b":lock"


def _seconds(ttl: float) -> int:
    return math.ceil(ttl) + 1


def parse_servers(servers: tuple[str, ...]) -> list[tuple[str, int] | str]:
    """``("10.0.0.1:11211", "/run/memcached.sock")`` -> ``(host, port)`` or a socket path each."""
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


@dataclass(frozen=True, slots=True)
class _Lock:
    """A lock item this process added: its value, and its CAS unique once known."""

    value: bytes
    cas: bytes | None


def _release_command(lock_key: bytes, cas: bytes) -> bytes:
    # A cas with a negative expiry replaces the item with one that is already expired,
    # if and only if it is still the item this CAS unique names.
    return b"cas " + lock_key + b" 0 -1 1 " + cas + b"\r\nx\r\n"


def _read_release(conn: Connection) -> bool:
    """The answer to :func:`_release_command`: True if the lock was still ours."""
    return conn.line() == b"STORED"


class MemcachedStorage(Storage):
    """Sessions as Memcached items ``<key_prefix><id>``; the lock is ``<key>:lock``."""

    expires_itself = True

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        self._servers: list[Server] = []
        self._ring: Any = None
        self._by_node: dict[str, Server] = {}
        self._prefix = config.key_prefix.encode("ascii")
        self._orphans = OrphanedLocks(self._release_orphan, "Memcached")
        #: the longest lease asked for: how long a lock that could not be released may stay
        self._lease = 0.0

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
        if len(prefix) + 43 + len(_LOCK_SUFFIX) > _MAX_KEY:
            raise ValueError("key_prefix is too long for Memcached keys (250 bytes at most)")
        try:
            import pymemcache  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise ValueError(
                "storage_type 'memcached' needs pymemcache: "
                "pip install 'pegboard-sessions[memcached]'"
            ) from None

    def open(self) -> None:
        # Nothing connects here: a server that is down must not stop the app from starting.
        timeout, pool_size = self.config.backend_timeout, self.config.pool_size
        servers = [
            Server(address, timeout, pool_size) for address in parse_servers(self.config.servers)
        ]
        self._by_node = {_node_name(server.address): server for server in servers}
        if len(servers) > 1:
            from pymemcache.client.rendezvous import RendezvousHash  # type: ignore[import-untyped]

            self._ring = RendezvousHash(nodes=list(self._by_node))
        self._servers = servers

    def close(self) -> None:
        self._orphans.close()
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()

    def _key(self, session_id: str) -> bytes:
        return self._prefix + session_id.encode("ascii")

    def _server(self, key: bytes) -> Server:
        """The server of a session's record and lock (``key`` is the record's key)."""
        servers = self._servers
        if not servers:
            raise StorageUnavailable("the Memcached session store is closed")
        if len(servers) == 1:
            return servers[0]
        # The same node as pymemcache's HashClient picked for this key before.
        return self._by_node[self._ring.get_node(key)]

    def _exchange(self, key: bytes, request: bytes, read: Any) -> Any:
        server = self._server(key)
        try:
            return server.exchange(request, read)
        except MemcachedError as exc:
            raise StorageUnavailable(f"Memcached failed: {exc}") from exc

    # -- records --------------------------------------------------------------------------

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        key = self._key(session_id)
        found = self._exchange(key, b"get " + key + b"\r\n", Connection.values)
        item = found.get(key)
        return None if item is None else item[0]

    def load_and_touch(self, session_id: str, ttl: float) -> tuple[bytes | None, bool]:
        key = self._key(session_id)
        expire = b"%d" % _seconds(ttl)

        def read(conn: Connection) -> bytes | None:
            item = conn.values().get(key)
            conn.line()  # TOUCHED, or NOT_FOUND
            return None if item is None else item[0]

        # PERF: get and touch pipelined, one round trip (gat would need Memcached 1.5.3).
        request = b"get " + key + b"\r\ntouch " + key + b" " + expire + b"\r\n"
        return self._exchange(key, request, read), True

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        key = self._key(session_id)
        answer = self._exchange(key, _set_command(key, payload, ttl), Connection.line)
        _check_stored(answer)

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        key = self._key(session_id)
        self._exchange(key, b"touch %s %d\r\n" % (key, _seconds(ttl)), Connection.line)

    def delete(self, session_id: str, lock: Any = None) -> None:
        key = self._key(session_id)
        self._exchange(key, b"delete " + key + b"\r\n", Connection.line)

    # -- locking: add() succeeds for one client only; the lease is the item's expiry --------

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        deadline = time.monotonic() + timeout
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        try:
            return self._add_lock(session_id, deadline, timeout, lease, load=True)
        except BaseException:
            self.local_locks.release(session_id)
            raise

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        deadline = time.monotonic() + timeout
        return self._add_lock(session_id, deadline, timeout, lease, load=False)[0]

    def _add_lock(
        self, session_id: str, deadline: float, timeout: float, lease: float, load: bool
    ) -> tuple[_Lock, bytes | None]:
        """Add the lock item (polling while another holds it); the record too if ``load``.

        PERF: one round trip: ``add`` of the lock, then ``gets`` of the lock (its CAS
        unique, for the release) and of the record, written together.
        """
        self._lease = max(self._lease, lease)
        key = self._key(session_id)
        lock_key = key + _LOCK_SUFFIX
        value = secrets.token_hex(16).encode("ascii")
        request = b"add %s 0 %d %d\r\n%s\r\ngets %s%s\r\n" % (
            lock_key,
            _seconds(lease),
            len(value),
            value,
            lock_key,
            b" " + key if load else b"",
        )

        def read(conn: Connection) -> tuple[bool, dict[bytes, tuple[bytes, bytes | None]]]:
            added = conn.line() == b"STORED"
            return added, conn.values()

        while True:
            try:
                added, found = self._exchange(key, request, read)
            except StorageUnavailable:
                # The add may have been done with its answer lost: release it when we can.
                self._orphans.add(session_id, _Lock(value, None), lease)
                raise
            held = found.get(lock_key)
            if added and held is not None and held[0] == value:
                record = found.get(key)
                return _Lock(value, held[1]), None if record is None else record[0]
            if time.monotonic() + _LOCK_POLL > deadline:
                raise LockTimeout(session_id, timeout)
            time.sleep(_LOCK_POLL)

    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        key = self._key(session_id)
        self._write_unlocking(session_id, token, _set_command(key, payload, ttl), _check_stored)

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        key = self._key(session_id)
        command = b"touch %s %d\r\n" % (key, _seconds(ttl))
        self._write_unlocking(session_id, token, command, lambda answer: None)

    def delete_and_unlock(self, session_id: str, token: Any) -> None:
        key = self._key(session_id)
        self._write_unlocking(session_id, token, b"delete " + key + b"\r\n", lambda answer: None)

    def _write_unlocking(self, session_id: str, token: _Lock, command: bytes, check: Any) -> None:
        """``command`` on the record and the lock's release, pipelined: one round trip."""
        key = self._key(session_id)
        assert token.cas is not None

        def read(conn: Connection) -> tuple[bytes, bool]:
            return conn.line(), _read_release(conn)

        try:
            answer, released = self._exchange(
                key, command + _release_command(key + _LOCK_SUFFIX, token.cas), read
            )
        except StorageUnavailable:
            self._orphans.add(session_id, token, self._lease)
            raise
        finally:
            self.local_locks.release(session_id)
        if not released:
            _log.warning("a session lock expired before it was released; raise lock_lease")
        check(answer)

    def release_shared_lock(self, session_id: str, token: Any) -> None:
        try:
            released = self._release_orphan(session_id, token)
        except StorageUnavailable as exc:
            _log.warning("could not release a session lock in Memcached: %s", exc)
            self._orphans.add(session_id, token, self._lease)
            return
        if not released:
            _log.warning("a session lock expired before it was released; raise lock_lease")

    def _release_orphan(self, session_id: str, token: _Lock) -> bool:
        """Expire the lock of ``session_id`` if ``token`` still holds it; True if it did."""
        key = self._key(session_id)
        lock_key = key + _LOCK_SUFFIX
        cas = token.cas
        if cas is None:  # the add's answer was lost: find out whether it is ours
            found = self._exchange(key, b"gets " + lock_key + b"\r\n", Connection.values)
            held = found.get(lock_key)
            if held is None or held[0] != token.value or held[1] is None:
                return False
            cas = held[1]
        return bool(self._exchange(key, _release_command(lock_key, cas), _read_release))


def _node_name(address: tuple[str, int] | str) -> str:
    """The name pymemcache's HashClient gave a server in its ring."""
    return address if isinstance(address, str) else f"{address[0]}:{address[1]}"


def _set_command(key: bytes, payload: bytes, ttl: float) -> bytes:
    return b"set %s 0 %d %d\r\n" % (key, _seconds(ttl), len(payload)) + payload + b"\r\n"


def _check_stored(answer: bytes) -> None:
    if answer != b"STORED":
        raise StorageUnavailable(f"Memcached did not store the session: {answer[:40]!r}")
