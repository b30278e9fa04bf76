"""Pipelined exchanges with one Memcached server over its text protocol.

pymemcache sends one command (or several of one kind) per round trip. A
locked session needs ``add`` + ``gets`` in one round trip and ``set`` +
``cas`` in another, so this module writes several commands at once and
reads their answers in order, on pooled connections with timeouts. It knows
the few answers the session store reads; anything else closes the
connection and raises :class:`MemcachedError`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Connection", "MemcachedError", "Server"]

T = TypeVar("T")
_RECV = 65536


class MemcachedError(Exception):
    """The server could not be reached, did not answer in time, or answered an error."""


class _StaleConnection(Exception):
    """A pooled connection the server had closed before the request was sent."""


class Connection:
    """One socket to the server and the bytes read from it but not yet consumed."""

    __slots__ = ("_buffer", "_sock", "read_any")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        #: whether any answer came on this connection during the current exchange
        self.read_any = False

    def line(self) -> bytes:
        """The next answer line, without its CRLF; a server error raises MemcachedError."""
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                if line.startswith((b"SERVER_ERROR", b"CLIENT_ERROR", b"ERROR")):
                    raise MemcachedError(line.decode("ascii", "replace"))
                return line
            self._fill()

    def data(self, size: int) -> bytes:
        """The ``size`` bytes of a value and the CRLF after them."""
        buffer = self._buffer
        while len(buffer) < size + 2:
            self._fill()
        if buffer[size : size + 2] != b"\r\n":
            raise MemcachedError("a value did not end with CRLF")
        value = bytes(buffer[:size])
        del buffer[: size + 2]
        return value

    def values(self) -> dict[bytes, tuple[bytes, bytes | None]]:
        """The items of a ``get``/``gets``/``gat`` answer: key -> (value, cas unique or None)."""
        found: dict[bytes, tuple[bytes, bytes | None]] = {}
        while True:
            line = self.line()
            if line == b"END":
                return found
            parts = line.split()
            if len(parts) < 4 or parts[0] != b"VALUE":
                raise MemcachedError(f"unexpected answer {line[:40]!r}")
            found[parts[1]] = (self.data(int(parts[3])), parts[4] if len(parts) > 4 else None)

    def _fill(self) -> None:
        try:
            chunk = self._sock.recv(_RECV)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            if not self.read_any:
                raise _StaleConnection
            raise MemcachedError("the server closed the connection")
        self.read_any = True
        self._buffer += chunk

    def send(self, request: bytes) -> None:
        self.read_any = False
        try:
            self._sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            raise _StaleConnection from None

    def close(self) -> None:
        self._sock.close()


class Server:
    """Up to ``pool_size`` connections to one server (``(host, port)`` or a socket path)."""

    def __init__(self, address: tuple[str, int] | str, timeout: float, pool_size: int) -> None:
        self.address = address
        self._timeout = timeout
        self._idle: list[Connection] = []
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(pool_size, 1))
        self._closed = False

    def exchange(self, request: bytes, read: Callable[[Connection], T]) -> T:
        """Send ``request`` (any number of commands) and return ``read(connection)``.

        A pooled connection the server has closed since its last use (a
        restart) is replaced and the request sent again, once: nothing of it
        had reached a live server. Any other failure closes the connection
        and raises MemcachedError.
        """
        if not self._slots.acquire(timeout=self._timeout):
            raise MemcachedError(f"all connections to {self._name()} stayed busy")
        try:
            for attempt in (1, 2):
                conn, pooled = self._connection()
                try:
                    conn.send(request)
                    result = read(conn)
                except _StaleConnection:
                    conn.close()
                    if pooled and attempt == 1:
                        continue
                    raise MemcachedError(f"{self._name()} closed the connection") from None
                except MemcachedError:
                    conn.close()
                    raise
                except OSError as exc:  # timeouts included
                    conn.close()
                    raise MemcachedError(f"{self._name()}: {exc!r}") from exc
                except BaseException:
                    conn.close()
                    raise
                with self._guard:
                    if self._closed:
                        conn.close()
                    else:
                        self._idle.append(conn)
                return result
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._slots.release()

    def _connection(self) -> tuple[Connection, bool]:
        """A pooled connection (True) or a new one (False)."""
        with self._guard:
            if self._idle:
                return self._idle.pop(), True
        address = self.address
        try:
            if isinstance(address, str):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self._timeout)
                try:
                    sock.connect(address)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection(address, timeout=self._timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            raise MemcachedError(f"cannot connect to {self._name()}: {exc!r}") from exc
        sock.settimeout(self._timeout)
        return Connection(sock), False

    def _name(self) -> str:
        address = self.address
        where = address if isinstance(address, str) else f"{address[0]}:{address[1]}"
        return f"Memcached at {where}"

    def close(self) -> None:
        with self._guard:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
