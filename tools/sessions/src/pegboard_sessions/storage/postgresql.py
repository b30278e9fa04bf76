"""PostgreSQL storage (psycopg 3 + psycopg_pool): a table of records, advisory locks.

The table (``table``, default ``pegboard_sessions``) is created if missing
the first time the store is reached, under an advisory lock so that two
processes starting together do not race::

    CREATE TABLE pegboard_sessions (
        id text PRIMARY KEY, data bytea NOT NULL, expires_at timestamptz NOT NULL)

Expiry uses the database's clock, so application servers with skewed
clocks agree. The lock is a session-level advisory lock on a pooled
connection that the request keeps until it ends; loads and saves of a
locked session run on that same connection. If the process dies, the
connection closes and PostgreSQL frees the lock.

A request that locks its session makes two round trips, each one query
string of two statements (the simple query protocol, see
:mod:`.postgresql_wire`), both prepared once per connection:

- ``pg_advisory_lock`` only if the row exists (an id without a record needs
  no lock and leaves none), then the ``SELECT`` of the row, whose snapshot
  is taken after the lock was granted;
- a hand-over of the lock (``pg_advisory_xact_lock`` then
  ``pg_advisory_unlock``: from now on the lock is the transaction's), then
  the ``INSERT ... ON CONFLICT`` (or ``UPDATE``, ``DELETE``). The two run in
  one implicit transaction, whose commit makes the write visible and only
  then frees the lock: the next holder reads what this request wrote.

These statements carry their values as literals, which is safe because
session ids are 43 base64url characters (checked here again), lock keys
and lifetimes are numbers, and payloads go in as hex digits.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..errors import LockTimeout, StorageUnavailable
from ..ids import is_valid_id
from ..settings import StorageConfig
from .base import Storage
from .postgresql_wire import exchange, text_value

__all__ = ["PostgresqlStorage"]

_log = logging.getLogger("pegboard_sessions")
#: The prefix of the statements this store prepares on its connections.
_P = "pegboard_sessions_"
_TABLE = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}")


def _fetch(cursor: Any) -> Any:
    """The first row of a statement that returns rows, else None."""
    return cursor.fetchone() if cursor.description is not None else None


def _literal_id(session_id: str) -> str:
    """A session id as an SQL string literal (ids hold only base64url characters)."""
    if not is_valid_id(session_id):  # defence in depth: the tool checks ids first
        raise ValueError("invalid session id")
    return f"'{session_id}'"


def _advisory_key(namespace: str, session_id: str) -> int:
    """A signed 64-bit advisory lock key for one session of one table."""
    digest = hashlib.blake2b(f"{namespace}\0{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresqlStorage(Storage):
    """Sessions as rows of ``table``; ``pool_size`` connections at most."""

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        from psycopg import sql

        self._pool: Any = None
        self._ready = False
        self._ready_lock = threading.Lock()
        table = sql.Identifier(*config.table.split("."))
        # PERF: the locked path runs statements prepared once per connection (PREPARE),
        # called by EXECUTE from query strings of several statements, filled in with
        # str.format (see the module docstring for why literals are safe here).
        name = table.as_string(None)
        live = "WHERE id = $1 AND expires_at > now()"
        self._prepare = (
            f"PREPARE {_P}lock(text, bigint) AS SELECT pg_advisory_lock($2) FROM {name} {live}; "
            f"PREPARE {_P}read(text) AS SELECT encode(data, 'hex') FROM {name} {live}; "
            # The inner query takes the transaction-level lock before the outer one lets
            # the session-level lock go (OFFSET 0 keeps the subquery from being flattened).
            f"PREPARE {_P}handover(bigint) AS SELECT pg_advisory_unlock($1) "
            "FROM (SELECT pg_advisory_xact_lock($1) OFFSET 0) AS transaction_lock; "
            f"PREPARE {_P}save(text, bytea, float8) AS INSERT INTO {name} (id, data, expires_at) "
            "VALUES ($1, $2, now() + make_interval(secs => $3)) ON CONFLICT (id) "
            "DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at; "
            f"PREPARE {_P}touch(text, float8) AS UPDATE {name} "
            "SET expires_at = now() + make_interval(secs => $2) WHERE id = $1; "
            f"PREPARE {_P}delete(text) AS DELETE FROM {name} WHERE id = $1"
        )
        #: the pooled connections that have the statements above
        self._prepared: weakref.WeakSet[Any] = weakref.WeakSet()
        #: the lock_timeout (ms) each pooled connection has, where this store set it
        self._lock_timeouts: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        handover = f"EXECUTE {_P}handover({{key}}); "
        self._text = {
            "lock_and_load": f"EXECUTE {_P}lock({{id}}, {{key}}); EXECUTE {_P}read({{id}})",
            "save": handover + f"EXECUTE {_P}save({{id}}, decode('{{hex}}', 'hex'), {{ttl!r}})",
            "touch": handover + f"EXECUTE {_P}touch({{id}}, {{ttl!r}})",
            "delete": handover + f"EXECUTE {_P}delete({{id}})",
        }
        self._sql = {
            "load": sql.SQL("SELECT data FROM {} WHERE id = %s AND expires_at > now()").format(
                table
            ),
            "save": sql.SQL(
                "INSERT INTO {} (id, data, expires_at) "
                "VALUES (%s, %s, now() + make_interval(secs => %s)) ON CONFLICT (id) "
                "DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at"
            ).format(table),
            "touch": sql.SQL(
                "UPDATE {} SET expires_at = now() + make_interval(secs => %s) WHERE id = %s"
            ).format(table),
            "load_and_touch": sql.SQL(
                "UPDATE {} SET expires_at = now() + make_interval(secs => %s) "
                "WHERE id = %s AND expires_at > now() RETURNING data"
            ).format(table),
            "delete": sql.SQL("DELETE FROM {} WHERE id = %s").format(table),
            "clean": sql.SQL("DELETE FROM {} WHERE expires_at <= now()").format(table),
            "create": sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, data bytea NOT NULL, "
                "expires_at timestamptz NOT NULL)"
            ).format(table),
            "index": sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (expires_at)").format(
                sql.Identifier(config.table.split(".")[-1] + "_expires_at"), table
            ),
        }

    @classmethod
    def check_config(cls, config: StorageConfig) -> None:
        if not config.dsn:
            raise ValueError(
                "dsn is required for storage_type 'postgresql', e.g. 'postgresql://user@host/db'"
            )
        if not _TABLE.fullmatch(config.table):
            raise ValueError(
                f"table must be a plain SQL name like 'pegboard_sessions', not {config.table!r}"
            )
        if config.pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        try:
            import psycopg  # noqa: F401
            import psycopg_pool  # noqa: F401
        except ImportError:
            raise ValueError(
                "storage_type 'postgresql' needs psycopg and psycopg_pool: "
                "pip install 'pegboard-sessions[postgresql]'"
            ) from None

    def open(self) -> None:
        from psycopg_pool import ConnectionPool

        timeout = self.config.backend_timeout
        self._pool = ConnectionPool(
            self.config.dsn or "",
            min_size=1,
            max_size=self.config.pool_size,
            open=False,
            timeout=timeout,
            kwargs={
                "autocommit": True,
                # libpq counts whole seconds and treats less than 2 as 2.
                "connect_timeout": max(2, math.ceil(timeout)),
                "tcp_user_timeout": max(int(timeout * 1000), 1),
            },
            name=f"pegboard-sessions-{self.config.table}",
        )
        self._pool.open(wait=False)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=self.config.backend_timeout)

    # -- connections ------------------------------------------------------------

    def _getconn(self, timeout: float) -> Any:
        import psycopg
        import psycopg_pool

        pool = self._pool
        if pool is None:
            raise StorageUnavailable("the PostgreSQL session store is closed")
        try:
            conn = pool.getconn(timeout=max(timeout, 0.001))
        except (psycopg_pool.PoolTimeout, psycopg.Error) as exc:
            raise StorageUnavailable(f"no PostgreSQL connection: {exc}") from exc
        if not self._ready:
            try:
                self._create_table(conn)
            except BaseException:
                self._putconn(conn)
                raise
        return conn

    def _putconn(self, conn: Any) -> None:
        if self._pool is not None:
            self._pool.putconn(conn)  # a broken connection is discarded, not reused
        else:
            conn.close()

    def _on_pooled_connection(self, timeout: float, work: Callable[[Any], Any]) -> tuple[Any, Any]:
        """``work(conn)`` on a pooled connection; returns (result, connection), conn still held.

        A pooled connection may have been cut since it was last used (a server
        restart, an idle timeout): then ``work`` is tried again on another one,
        within the same ``timeout``. Errors become StorageUnavailable.
        """
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            conn = self._getconn(deadline - time.monotonic())
            try:
                return work(conn), conn
            except psycopg.OperationalError as exc:
                self._putconn(conn)
                if conn.broken and time.monotonic() < deadline:
                    continue
                raise StorageUnavailable(f"PostgreSQL failed: {exc}") from exc
            except psycopg.Error as exc:
                self._putconn(conn)
                raise StorageUnavailable(f"PostgreSQL failed: {exc}") from exc
            except BaseException:
                self._putconn(conn)
                raise

    def _execute(self, lock: Any, query: Any, params: list[Any]) -> Any:
        """Run one statement: on the connection holding the session's lock, or a pooled one."""
        import psycopg

        if lock is not None:
            try:
                return _fetch(lock.execute(query, params))
            except psycopg.Error as exc:
                raise StorageUnavailable(f"PostgreSQL failed: {exc}") from exc
        row, conn = self._on_pooled_connection(
            self.config.backend_timeout, lambda c: _fetch(c.execute(query, params))
        )
        self._putconn(conn)
        return row

    def _create_table(self, conn: Any) -> None:
        import psycopg

        with self._ready_lock:
            if self._ready:
                return
            try:
                with conn.transaction():
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s)",
                        [_advisory_key("create", self.config.table)],
                    )
                    conn.execute(self._sql["create"])
                    conn.execute(self._sql["index"])
            except psycopg.Error as exc:
                raise StorageUnavailable(f"cannot create the sessions table: {exc}") from exc
            self._ready = True

    # -- records ------------------------------------------------------------------

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        row = self._execute(lock, self._sql["load"], [session_id])
        return bytes(row[0]) if row is not None else None

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        self._execute(lock, self._sql["save"], [session_id, payload, float(ttl)])

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        self._execute(lock, self._sql["touch"], [float(ttl), session_id])

    def delete(self, session_id: str, lock: Any = None) -> None:
        self._execute(lock, self._sql["delete"], [session_id])

    def load_and_touch(self, session_id: str, ttl: float) -> tuple[bytes | None, bool]:
        # PERF: one statement reads and renews.
        row = self._execute(None, self._sql["load_and_touch"], [float(ttl), session_id])
        return (bytes(row[0]) if row is not None else None), True

    def clean(self) -> None:
        self._execute(None, self._sql["clean"], [])

    # -- locking -----------------------------------------------------------------------

    def lock_and_load(
        self, session_id: str, timeout: float, lease: float
    ) -> tuple[Any, bytes | None]:
        from psycopg import errors

        deadline = time.monotonic() + timeout
        if not self.local_locks.acquire(session_id, timeout):
            raise LockTimeout(session_id, timeout)
        key = _advisory_key(self.config.table, session_id)
        text = self._text["lock_and_load"]
        literal = _literal_id(session_id)

        def lock_and_read(conn: Any) -> tuple[bool, Any]:
            # PERF: one round trip. The lock is taken only where the row exists, and the
            # SELECT after it has its own snapshot, taken once the lock was granted.
            self._prepare_on(conn)
            query = text.format(key=key, id=literal)
            # The server-side wait is bounded by lock_timeout (0 would mean forever). It is
            # a setting of the connection, sent only when it changes: the full timeout,
            # unless this thread already waited here for an in-process lock.
            left = deadline - time.monotonic()
            ms = max(int((timeout if left > timeout * 0.99 else left) * 1000), 1)
            if self._lock_timeouts.get(conn) != ms:
                query = f"SET lock_timeout = {ms}; {query}"
                self._lock_timeouts[conn] = ms
            try:
                *_, locked, row = exchange(
                    conn, query.encode("ascii"), ms / 1000 + self.config.backend_timeout
                )
            except BaseException:
                self._lock_timeouts.pop(conn, None)  # a failed statement undoes the SET
                raise
            return locked.ntuples > 0, text_value(row)

        try:
            try:
                (locked, row), conn = self._on_pooled_connection(
                    min(timeout, self.config.backend_timeout), lock_and_read
                )
            except StorageUnavailable as exc:
                if isinstance(exc.__cause__, errors.LockNotAvailable):
                    raise LockTimeout(session_id, timeout) from None
                raise
        except BaseException:
            self.local_locks.release(session_id)
            raise
        if locked:
            return conn, (bytes.fromhex(row.decode("ascii")) if row is not None else None)
        # No row, so no lock: nothing under this id to protect (a row cannot appear under
        # an id the store does not know: new records get new ids).
        self._putconn(conn)
        return Storage.NOT_LOCKED, None

    def save_and_unlock(self, session_id: str, payload: bytes, ttl: float, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            return super().save_and_unlock(session_id, payload, ttl, token)
        self._write_unlocking(session_id, token, "save", hex=payload.hex(), ttl=float(ttl))

    def touch_and_unlock(self, session_id: str, ttl: float, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            return super().touch_and_unlock(session_id, ttl, token)
        self._write_unlocking(session_id, token, "touch", ttl=float(ttl))

    def delete_and_unlock(self, session_id: str, token: Any) -> None:
        if token is Storage.NOT_LOCKED:
            return super().delete_and_unlock(session_id, token)
        self._write_unlocking(session_id, token, "delete")

    def _prepare_on(self, conn: Any) -> None:
        """Prepare the locked path's statements on ``conn``, once per connection."""
        if conn not in self._prepared:
            conn.execute(self._prepare)  # one more round trip, the first time only
            self._prepared.add(conn)

    def _write_unlocking(self, session_id: str, conn: Any, what: str, **values: Any) -> None:
        """Hand the lock over to the write's transaction, write, commit: one round trip."""
        import psycopg

        key = _advisory_key(self.config.table, session_id)
        text = self._text[what].format(id=_literal_id(session_id), key=key, **values)
        try:
            handed_over, _ = exchange(conn, text.encode("ascii"), self.config.backend_timeout)
        except psycopg.Error as exc:
            # Whatever of the lock is left goes with the connection.
            conn.close()
            raise StorageUnavailable(f"PostgreSQL failed: {exc}") from exc
        finally:
            self._putconn(conn)
            self.local_locks.release(session_id)
        if text_value(handed_over) != b"t":
            _log.warning("a session lock was not held when it was released")

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        from psycopg import errors, sql

        deadline = time.monotonic() + timeout
        key = _advisory_key(self.config.table, session_id)

        def lock(conn: Any) -> None:
            # One round trip; the server-side wait is bounded by lock_timeout (0 means forever).
            self._prepare_on(conn)  # for the write that releases this lock
            self._lock_timeouts.pop(conn, None)
            remaining = max(int((deadline - time.monotonic()) * 1000), 1)
            conn.execute(
                sql.SQL("SET lock_timeout = {}; SELECT pg_advisory_lock({})").format(
                    sql.Literal(remaining), sql.Literal(key)
                )
            )

        # Waiting for a free connection is bounded by backend_timeout: a server that is down,
        # or a pool too small for the server's threads, is a 503 after that long.
        try:
            _, conn = self._on_pooled_connection(min(timeout, self.config.backend_timeout), lock)
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, errors.LockNotAvailable):
                raise LockTimeout(session_id, timeout) from None
            raise
        return conn

    def release_shared_lock(self, session_id: str, token: Any) -> None:
        import psycopg

        try:
            token.execute(
                "SELECT pg_advisory_unlock(%s)", [_advisory_key(self.config.table, session_id)]
            )
        except psycopg.Error as exc:
            # A broken connection has lost its locks with it; the pool discards it.
            _log.warning("could not release a session lock in PostgreSQL: %s", exc)
        finally:
            self._putconn(token)
