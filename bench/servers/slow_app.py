"""The pegboard app that ``slow_clients.py`` and ``disconnect.py`` serve with ``pegboard serve``.

- ``GET /`` answers a short text.
- ``POST /echo`` reads the whole body and answers its length; each run of the
  handler appends a line to the file named by ``PB_HANDLED`` (if set), so a
  caller can tell whether the handler ever ran on a body.
- ``GET /stream`` streams 1 KiB chunks for ever, one every ``?interval=`` s
  (default 0.05); the generator's
  close and ``on_end_request`` each append a line to ``PB_EVENTS`` (if set).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pegboard

_HANDLED = os.environ.get("PB_HANDLED")
_EVENTS = os.environ.get("PB_EVENTS")
_CHUNK = b"x" * 1023 + b"\n"


def _note(path: str | None, line: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{line} {time.time():.3f}\n")


def _on_end_request(req: Any, resp: Any) -> None:
    if req.path == "/stream":
        _note(_EVENTS, "end_request")


app = pegboard.App({"/": {"hooks.on_end_request": _on_end_request}})


@app.route("/")
def hello(req: Any, resp: Any) -> str:
    return "Hello, World!"


@app.route("/echo", methods=["POST"])
def echo(req: Any, resp: Any) -> str:
    size = len(req.body.bytes)
    _note(_HANDLED, f"handled {size}")
    return f"{size}\n"


@app.route("/stream")
def stream(req: Any, resp: Any) -> Iterator[bytes]:
    pause = float(req.params.get("interval", "0.05"))

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                yield _CHUNK
                if pause:
                    time.sleep(pause)
        finally:
            _note(_EVENTS, "closed")

    resp.headers["Content-Type"] = "text/plain"
    return chunks()
