"""A client drops an endless streamed response: how soon do ``close()`` and ``on_end_request`` run?

Starts ``pegboard serve bench/servers/slow_app.py``, then ``--runs`` times: opens
``GET /stream``, reads a few chunks, hangs up (a plain close, or an RST with
``--reset``) and waits for the app's two marks (the body generator's close,
and the ``on_end_request`` hook) to appear. Prints how long each took, and
how many runs missed the ``--deadline``.

Usage, from the repository root::

    uv run python bench/servers/disconnect.py                    # default server
    uv run python bench/servers/disconnect.py --server waitress --runs 20
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

from slow_clients import HOST, start


def marks(path: Path) -> list[str]:
    try:
        return path.read_text().split("\n")
    except FileNotFoundError:
        return []


def one_run(
    port: int,
    events: Path,
    chunks: int,
    reset: bool,
    deadline: float,
    interval: float,
    pause: float,
) -> float | None:
    """Seconds from the hang-up until both marks are there (None: not within ``deadline``)."""
    events.write_text("")
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.sendall(f"GET /stream?interval={interval} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    got = 0
    while got < chunks * 1024:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("the server ended the stream")
        got += len(data)
    time.sleep(pause)  # not reading meanwhile: the server's buffers may fill up
    if reset:  # SO_LINGER 0: close() sends an RST instead of a FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    hung_up = time.monotonic()
    while time.monotonic() - hung_up < deadline:
        lines = marks(events)
        if any(x.startswith("closed") for x in lines) and any(
            x.startswith("end_request") for x in lines
        ):
            return time.monotonic() - hung_up
        time.sleep(0.005)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", help="pegboard serve --server (default: its default)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=3, help="KiB read before hanging up")
    parser.add_argument("--reset", action="store_true", help="hang up with an RST")
    parser.add_argument("--interval", type=float, default=0.05, help="s between chunks")
    parser.add_argument("--pause", type=float, default=0.0, help="s not reading before hang-up")
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds to wait for marks")
    args = parser.parse_args(argv)
    extra = ["--server", args.server] if args.server else []
    with tempfile.TemporaryDirectory() as tmp:
        events = Path(tmp) / "events"
        served = start(extra, Path(tmp) / "serve.log", {"PB_EVENTS": str(events)})
        try:
            delays = [
                one_run(
                    served.port,
                    events,
                    args.chunks,
                    args.reset,
                    args.deadline,
                    args.interval,
                    args.pause,
                )
                for _ in range(args.runs)
            ]
        finally:
            served.stop()
    shown = ", ".join("missed" if d is None else f"{d * 1000:.0f}" for d in delays)
    missed = sum(d is None for d in delays)
    print(f"{args.server or 'default'}: ms until close()+on_end_request: {shown}")
    print(f"missed {missed} of {args.runs} (deadline {args.deadline} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
