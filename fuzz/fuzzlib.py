"""What the harnesses share: turning the fuzzer's bytes into header values.

A header value reaches a parser as the WSGI server hands it over: a ``str``
of Latin-1 characters. Tools and tests may pass any ``str``, so the first
byte of an input picks how the rest becomes text: Latin-1 (three times in
four), or UTF-8 with invalid bytes kept as lone surrogates (the oddest
``str`` Python can hold).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from typing import Any


def text(data: bytes) -> str:
    """One header value made from ``data``."""
    if not data:
        return ""
    if data[0] % 4 == 3:
        return data[1:].decode("utf-8", "surrogateescape")
    return data[1:].decode("latin-1")


def fields(data: bytes, count: int) -> list[str]:
    """``count`` header values from ``data``, split on LF (which no header value holds).

    Missing ones are empty strings; the mode byte of :func:`text` applies to all.
    """
    mode, rest = data[:1], data[1:]
    parts = rest.split(b"\n", count - 1)
    parts += [b""] * (count - len(parts))
    return [text(mode + part) for part in parts]


def number(data: bytes, limit: int) -> int:
    """A number from 0 to ``limit`` read from the first bytes of ``data`` (for sizes)."""
    return int.from_bytes(data[:4].ljust(4, b"\0"), "big") % (limit + 1)


def wire_text(raw: bytes) -> str:
    """Header text as a WSGI server hands it over: Latin-1 characters, never CR or LF."""
    return raw.decode("latin-1").replace("\r", "").replace("\n", "")


def status_of(
    app: Any,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    query: str = "",
) -> int:
    """Call ``app`` with a fresh environ, read and close the body, return the status code."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "fuzz",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    statuses: list[str] = []

    def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    result = app(environ, start_response)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(statuses[-1].split(" ", 1)[0])
