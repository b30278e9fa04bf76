"""A TCP proxy that counts the round trips between its clients and one server.

A round trip is one exchange on one connection: the client sends (in as
many segments as it likes) and the server answers. Pipelined commands sent
together before the first answer are one round trip; a command sent after
an answer was read starts the next one. Counting happens on the wire, so it
sees what the store's client library really does, whatever the library.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType
from typing import Self

__all__ = ["CountingProxy"]


class _Pair:
    """One client connection and its upstream connection."""

    __slots__ = ("awaiting_answer", "client", "upstream")

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        #: the client has sent since the server last answered
        self.awaiting_answer = False


class CountingProxy:
    """Listens on a free loopback port and forwards every connection to ``(host, port)``.

    ``round_trips`` is the number of exchanges seen since the last
    :meth:`reset`, over every connection.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.host = "127.0.0.1"
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._guard = threading.Lock()
        self._round_trips = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="counting-proxy", daemon=True)
        self._thread.start()

    @property
    def round_trips(self) -> int:
        with self._guard:
            return self._round_trips

    def reset(self) -> None:
        with self._guard:
            self._round_trips = 0

    def close(self) -> None:
        self._stopping = True
        self._thread.join(5)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the loop ------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=0.05):
                if key.data is None:
                    self._accept()
                else:
                    pair, from_client = key.data
                    self._forward(pair, from_client)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(client, upstream)
        self._selector.register(client, selectors.EVENT_READ, (pair, True))
        self._selector.register(upstream, selectors.EVENT_READ, (pair, False))

    def _forward(self, pair: _Pair, from_client: bool) -> None:
        source, sink = (pair.client, pair.upstream) if from_client else (pair.upstream, pair.client)
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(pair)
            return
        with self._guard:
            if from_client and not pair.awaiting_answer:
                self._round_trips += 1
            pair.awaiting_answer = from_client
        try:
            sink.sendall(data)
        except OSError:
            self._drop(pair)

    def _drop(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.upstream):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()
