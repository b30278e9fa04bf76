"""Replaying one WSGI environ through an app, in-process: the harness of the suite.

No sockets: each request is a fresh copy of a prepared environ handed to the
WSGI callable, its body iterated and closed as a server would. What is
measured is the framework's (and its tools') own cost per request.

The machine the suite runs on is shared and noisy, so ``best_of`` interleaves
the contenders across rounds and keeps each one's best round: a burst of load
then slows one round of everybody, not every round of one contender.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

_REPO = str(Path(__file__).resolve().parent.parent) + os.sep
_OURS = (_REPO + "core" + os.sep, _REPO + "tools" + os.sep)


def make_environ(path: str, **headers: str) -> dict[str, Any]:
    """A GET for ``path``; ``accept_encoding="gzip"`` becomes ``HTTP_ACCEPT_ENCODING``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "bench",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return environ


@dataclass
class Answer:
    """One response as a client sees it: status line, headers (title-cased names), body."""

    status: str
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)


def call(app: WSGIApp, environ: Mapping[str, Any]) -> Answer:
    """Send one request (a copy of ``environ``) and collect the whole answer."""
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.append((status, headers))
        return lambda data: None

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(b"")
    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, header_list = captured[-1]
    headers = {name.title(): value for name, value in header_list}
    cookies = [value for name, value in header_list if name.lower() == "set-cookie"]
    return Answer(status, headers, body, cookies)


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def replay(app: WSGIApp, environ: Mapping[str, Any], requests: int) -> float:
    """Seconds taken by ``requests`` requests, each a fresh copy of ``environ``."""
    base = dict(environ)
    start = time.perf_counter()
    for _ in range(requests):
        env = base.copy()  # servers hand every request a fresh environ
        result = app(env, _start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.perf_counter() - start


@dataclass
class Contender:
    """One framework's app in one scenario: the environ it replays, ready to run."""

    name: str
    framework: str
    app: WSGIApp
    environ: dict[str, Any]
    requests: int = 0  # per round, set by calibrate()
    best: float = float("inf")  # seconds per request, best round

    @property
    def rps(self) -> float:
        return 1.0 / self.best

    @property
    def micros(self) -> float:
        return self.best * 1e6


def calibrate(contender: Contender, seconds: float) -> None:
    """Warm up, then pick a request count that takes about ``seconds`` per round."""
    replay(contender.app, contender.environ, 200)
    probe = 200
    taken = replay(contender.app, contender.environ, probe)
    per_request = max(taken / probe, 1e-7)
    contender.requests = max(200, int(seconds / per_request))


def best_of(contenders: Sequence[Contender], rounds: int) -> None:
    """Interleave the contenders for ``rounds`` rounds; keep each one's best round."""
    for _ in range(rounds):
        for c in contenders:
            taken = replay(c.app, c.environ, c.requests)
            c.best = min(c.best, taken / c.requests)


def profile(app: WSGIApp, environ: Mapping[str, Any], requests: int, top: int) -> str:
    """A cProfile of ``requests`` replays, as text: the ``top`` functions by own time,
    then the ``top`` functions of pegboard's own code (core/, tools/) by cumulative time.

    The profiler slows Python calls far more than C code (zlib, json), so the
    shares are a map of where the time goes, not a measurement of it.
    """
    replay(app, environ, min(requests, 500))  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    replay(app, environ, requests)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    # (file, line, function) -> (primitive calls, calls, own time, cumulative time, callers)
    entries = list(stats.stats.items())  # type: ignore[attr-defined]

    def line(where: tuple[str, int, str], figures: tuple[Any, ...]) -> str:
        filename, lineno, function = where
        _, calls, own, cumulative, _ = figures
        return (
            f"  {100 * own / total:5.1f}  {100 * cumulative / total:5.1f}  "
            f"{calls / requests:5.1f}  {_short(filename)}:{lineno} {function}"
        )

    by_own = sorted(entries, key=lambda item: item[1][2], reverse=True)[:top]
    ours = [e for e in entries if e[0][0].startswith(_OURS)]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)[:top]
    per = total / requests * 1e6
    head = "  own%   cum%  calls/req  where"
    return "\n".join(
        [
            f"  {per:.1f} us/request under the profiler",
            "  -- by own time --",
            head,
            *(line(*e) for e in by_own),
            "  -- pegboard's code (core/, tools/) by cumulative time --",
            head,
            *(line(*e) for e in by_cumulative),
        ]
    )


def _short(filename: str) -> str:
    """A file name shortened to what tells where it is: the repo or the package."""
    for marker in ("site-packages" + os.sep, _REPO, f"lib{os.sep}python"):
        at = filename.find(marker)
        if at >= 0:
            return filename[at + len(marker) :]
    return filename
