"""Several SQL statements in one round trip on a psycopg connection, with a bounded wait.

The PostgreSQL store's locked path sends one query string of several
statements (the simple query protocol) and reads every statement's result.
psycopg's ``execute`` can do that too, at about twice the CPU per round trip
(a cursor, row makers and loaders for each result); here the libpq layer
that psycopg documents for such uses (``Connection.pgconn``) is driven
directly, and the wait for the answer is bounded, which ``execute`` does not
offer.
"""

from __future__ import annotations

import select
import time
from typing import Any

__all__ = ["exchange", "text_value"]


def exchange(conn: Any, query: bytes, timeout: float) -> list[Any]:
    """Send ``query`` on ``conn`` and return the result of each statement (``pq.PGresult``).

    A statement that fails raises its psycopg error (``psycopg.errors``): the
    server ran none of the statements after it. A connection that breaks
    raises ``psycopg.OperationalError``; one that stays silent for
    ``timeout`` seconds is closed, then ``psycopg.OperationalError`` too.
    """
    import psycopg
    from psycopg import errors, pq

    pgconn = conn.pgconn
    deadline = time.monotonic() + timeout
    try:
        pgconn.send_query(query)
        fd = pgconn.socket
        while pgconn.flush():  # the connection is non-blocking: send all of the query
            _wait(fd, deadline, timeout, conn, write=True)
        results: list[Any] = []
        failed = None
        while True:
            while pgconn.is_busy():
                _wait(fd, deadline, timeout, conn, write=False)
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            if result.status == pq.ExecStatus.FATAL_ERROR and failed is None:
                failed = result
            results.append(result)
    except psycopg.OperationalError:
        raise
    except psycopg.Error as exc:  # libpq errors while sending or reading: a lost connection
        raise psycopg.OperationalError(str(exc)) from exc
    if failed is not None:
        raise errors.error_from_result(failed, encoding=conn.info.encoding)
    return results


def _wait(fd: int, deadline: float, timeout: float, conn: Any, write: bool) -> None:
    """Wait until ``fd`` can be written or read; past ``deadline``, close ``conn`` and raise."""
    import psycopg

    left = max(deadline - time.monotonic(), 0.0)
    if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
        poller = select.poll()
        poller.register(fd, select.POLLOUT if write else select.POLLIN)
        ready = bool(poller.poll(left * 1000))
    else:  # pragma: no cover - Windows
        ready = bool(
            select.select([], [fd], [], left)[1] if write else select.select([fd], [], [], left)[0]
        )
    if not ready:
        conn.close()  # mid-exchange: the connection cannot be used again
        raise psycopg.OperationalError(f"PostgreSQL did not answer within {timeout:g} s")


def text_value(result: Any, column: int = 0) -> bytes | None:
    """The first row's value in ``column`` (text format), or None for no row or NULL."""
    if result.ntuples == 0:
        return None
    value: bytes | None = result.get_value(0, column)
    return value
