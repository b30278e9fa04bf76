"""A client hangs up in the middle of an endless streamed response, on a real server.

The body's ``close()`` and the app's ``on_end_request`` hooks must both run within
1 s, every time, on every installed server: for a stream that yields as fast as it
can (waitress used to keep filling its buffer for seconds, not seeing the client
was gone) and for one that yields every 0.2 s.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest

from pegboard.serving import available_servers

from .servedapp import Served, serve

SERVERS = available_servers()
RUNS = 3


@pytest.fixture(scope="module", params=SERVERS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp(request.param), request.param)
    yield running
    running.stop()


def _hang_up_mid_stream(port: int, interval: float, reset: bool) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET /stream?interval={interval} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    received = b""
    while len(received) < 3000:
        received += sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 200 ")
    if reset:  # close() then sends an RST rather than a FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("interval", [0.0, 0.2], ids=["flat-out", "every-0.2s"])
@pytest.mark.parametrize("reset", [False, True], ids=["FIN", "RST"])
def test_hang_up_closes_the_body_and_runs_on_end_request_within_1s(
    served: Served, interval: float, reset: bool
) -> None:
    for run in range(RUNS):
        before = (len(served.lines("closed")), len(served.lines("end_request")))
        _hang_up_mid_stream(served.port, interval, reset)
        hung_up = time.monotonic()
        while time.monotonic() - hung_up < 1.0:
            now = (len(served.lines("closed")), len(served.lines("end_request")))
            if now == (before[0] + 1, before[1] + 1):
                break
            time.sleep(0.01)
        else:
            pytest.fail(
                f"run {run}: close() {now[0] - before[0]}, on_end_request {now[1] - before[1]} "
                f"within 1 s of the hang-up\n{served.output()[-2000:]}"
            )
