"""Slow and stalled clients against a real ``pegboard serve`` process, over real sockets.

With the default settings (8 request threads), 32 connections that send their body
a byte at a time and 32 that send their headers that way must not slow other
requests down; a body that stalls gets a 408 (granian) or its connection closed
(waitress) and never reaches the handler; bodies past the size limit get a 413;
whole bodies reach the handler intact; streamed responses still go out chunk by
chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from pegboard.serving import available_servers, body_readers

from .servedapp import Served, serve

SERVERS = available_servers()
THREADS = 8  # pegboard serve's default
BODY_TIMEOUT = 1.5
CONFIG = f"[server]\nbody_timeout = {BODY_TIMEOUT}\n"


@pytest.fixture(scope="module", params=SERVERS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp(request.param), request.param, CONFIG)
    yield running
    running.stop()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(head[0].split()[1]), headers


async def _get(port: int) -> float:
    """Seconds one ``GET /`` on a fresh connection took (it must be a 200)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        status, _ = await asyncio.wait_for(_read_head(reader), 5)
        assert status == 200
        await reader.read()
    finally:
        writer.close()
    return time.perf_counter() - started


async def _dribble(port: int, head: bytes, stop: asyncio.Event) -> bool:
    """Send ``head`` then a byte every 0.5 s until ``stop``: True if still open then."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    try:
        while not stop.is_set():
            writer.write(b"a")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            if reader.at_eof():
                return False
        return True
    except ConnectionError:
        return False
    finally:
        writer.close()


async def _slow_clients_scenario(port: int) -> tuple[list[float], list[bool]]:
    stop = asyncio.Event()
    body = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"
    header = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "
    slow = [
        asyncio.ensure_future(_dribble(port, head, stop))
        for head in (body, header)
        for _ in range(4 * THREADS)
    ]
    await asyncio.sleep(1.0)  # every slow request is in by now
    latencies: list[float] = []
    end = time.monotonic() + 3.0

    async def client() -> None:
        while time.monotonic() < end:
            latencies.append(await _get(port))

    await asyncio.gather(*(client() for _ in range(4)))
    stop.set()
    return latencies, list(await asyncio.gather(*slow))


def test_slow_bodies_and_headers_do_not_slow_other_requests(served: Served) -> None:
    latencies, still_open = asyncio.run(_slow_clients_scenario(served.port))
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    assert len(latencies) > 100, latencies
    assert p99 < 0.100, f"p99 {p99 * 1000:.1f} ms over {len(latencies)} requests"
    bodies, headers = still_open[: 4 * THREADS], still_open[4 * THREADS :]
    # The slow clients were slow, not stalled: none of the slow headers was cut off,
    # nor any slow body that got a reader; on granian the bodies past the readers
    # were turned away at once (503) rather than queued.
    assert all(headers), headers.count(False)
    if served.server == "granian":
        assert bodies.count(True) == body_readers(THREADS), bodies.count(True)
    else:  # waitress reads every body in its own loop
        assert all(bodies), bodies.count(False)
    assert not served.lines("handled"), "a handler ran on a partial body"


def _stall(port: int, pause: float | None) -> tuple[bytes, float]:
    """Send part of a body, then nothing (for ``pause`` s, then the rest, if given).

    Returns what came back until the server closed, and when it closed (seconds
    after the last byte sent).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
        if pause is not None:
            time.sleep(pause)
            with contextlib.suppress(OSError):
                sock.sendall(b"a" * 90)
        last_sent = time.monotonic()
        answer = b""
        with contextlib.suppress(ConnectionError):
            while chunk := sock.recv(65536):
                answer += chunk
        return answer, time.monotonic() - last_sent


def test_stalled_body_is_answered_408_and_never_reaches_the_handler(served: Served) -> None:
    if served.server == "granian":
        # granian cannot end a read that waits: the 408 comes when that read returns.
        answer, closed_after = _stall(served.port, BODY_TIMEOUT + 1.0)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"connection: close" in answer.lower()
        assert closed_after < 1.0
    else:  # waitress closes a connection that sent nothing for body_timeout
        answer, closed_after = _stall(served.port, None)
        assert answer == b"", answer
        assert BODY_TIMEOUT <= closed_after < 2 * BODY_TIMEOUT + 2.5
    assert not served.lines("handled"), "the handler ran on a partial body"


def test_declared_body_over_the_limit_is_a_413_without_reading_it(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\nabc")
        answer = sock.recv(65536)
    assert answer.split(b"\r\n")[0].split(b" ")[1] == b"413", answer
    assert not served.lines("handled")


def test_chunked_body_over_the_section_limit_is_a_413(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"y" * 100

    response = httpx.post(f"http://127.0.0.1:{served.port}/small/echo", content=chunks())
    assert response.status_code == 413
    assert not served.lines("handled")


@pytest.mark.parametrize("size", [0, 1, 300_000, 2_000_000], ids=lambda n: f"{n}B")
@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_whole_body_reaches_the_handler(served: Served, size: int, chunked: bool) -> None:
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    content: bytes | Iterator[bytes] = data
    if chunked:
        content = iter([data[i : i + 65000] for i in range(0, len(data), 65000)] or [b""])
    response = httpx.post(f"http://127.0.0.1:{served.port}/echo", content=content, timeout=10)
    assert response.status_code == 200
    assert response.text == f"{size} {hashlib.sha256(data).hexdigest()}"


def test_streamed_response_goes_out_chunk_by_chunk(served: Served) -> None:
    """An endless stream, one 1 KiB chunk every 0.2 s: the first ones arrive one by one."""
    with (
        httpx.Client(timeout=5) as client,
        client.stream("GET", f"http://127.0.0.1:{served.port}/stream?interval=0.2") as response,
    ):
        assert response.status_code == 200
        started = time.monotonic()
        arrivals = []
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic() - started, len(chunk)))
            if len(arrivals) == 3:
                break
    assert [n for _, n in arrivals] == [1024, 1024, 1024], arrivals
    assert arrivals[2][0] - arrivals[0][0] > 0.3, arrivals  # not sent in one piece


def test_a_fast_upload_still_works_while_slow_ones_hold_connections(served: Served) -> None:
    # As many slow uploads as there are request threads on waitress; on granian all
    # the body readers but one (one per thread by default: a slow upload holds a
    # reader, never a request thread).
    uploads = THREADS if served.server == "waitress" else body_readers(THREADS) - 1

    async def scenario() -> httpx.Response:
        stop = asyncio.Event()
        head = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"
        slow = [asyncio.ensure_future(_dribble(served.port, head, stop)) for _ in range(uploads)]
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient() as client:
            response = await client.post(f"http://127.0.0.1:{served.port}/echo", content=b"hi")
        stop.set()
        await asyncio.gather(*slow)
        return response

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.text.startswith("2 ")


async def _post_status(port: int) -> tuple[int, dict[str, str]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
        return await asyncio.wait_for(_read_head(reader), 5)
    finally:
        writer.close()


@pytest.mark.skipif("granian" not in SERVERS, reason="body readers are granian's")
def test_server_body_readers_bounds_the_bodies_read_at_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``server.body_readers = 2``: a third body in flight gets a 503 at once, GETs go on."""
    running = serve(tmp_path_factory.mktemp("readers"), "granian", CONFIG + "body_readers = 2\n")

    async def scenario() -> tuple[tuple[int, dict[str, str]], float, tuple[int, dict[str, str]]]:
        stop = asyncio.Event()
        head = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"
        slow = [asyncio.ensure_future(_dribble(running.port, head, stop)) for _ in range(2)]
        await asyncio.sleep(0.5)
        turned_away = await _post_status(running.port)
        fetched = await _get(running.port)
        stop.set()
        await asyncio.gather(*slow)
        # The readers are free once granian has seen the slow clients hang up.
        deadline = time.monotonic() + 5.0
        after = await _post_status(running.port)
        while after[0] == 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            after = await _post_status(running.port)
        return turned_away, fetched, after

    try:
        (status, headers), get_seconds, after = asyncio.run(scenario())
    finally:
        running.stop()
    assert status == 503 and headers.get("retry-after") == "1", (status, headers)
    assert get_seconds < 1.0
    assert after[0] == 200, after
