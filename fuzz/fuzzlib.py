"""What the harnesses share: header values from the fuzzer's bytes, a WSGI call, a small site.

A header value reaches a parser as the WSGI server hands it over: a ``str``
of Latin-1 characters. Tools and tests may pass any ``str``, so the first
byte of an input picks how the rest becomes text: Latin-1 (three times in
four), or UTF-8 with invalid bytes kept as lone surrogates (the oddest
``str`` Python can hold).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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


#: Marker text in files a static answer must never contain.
SECRET = b"NEVER-SERVED-4d1e"


def values(data: bytes, count: int) -> list[str]:
    """``count`` header values from ``data`` (split on LF, Latin-1); missing ones are empty."""
    parts = data.split(b"\n", count - 1)
    parts += [b""] * (count - len(parts))
    return [part.decode("latin-1") for part in parts]


def environ(path: str, method: str = "GET", body: bytes = b"", **headers: str) -> dict[str, Any]:
    """A WSGI environ; ``if_none_match="..."`` becomes ``HTTP_IF_NONE_MATCH``."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        if name in ("QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE"):
            env[name] = value
        else:
            env[f"HTTP_{name.upper()}"] = value
    return env


def call(app: WSGIApp, env: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """One request: (status code, headers with lower-cased names, body), as a server sees it."""
    captured: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.append((status, headers))
        return lambda data: None

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, header_list = captured[-1]
    for name, value in header_list:
        value.encode("latin-1")  # what a server must be able to write
        assert "\r" not in value and "\n" not in value, (name, value)
    return int(status.split(" ", 1)[0]), {n.lower(): v for n, v in header_list}, body


def decode(coding: str | None, body: bytes) -> bytes:
    """A response body as a client decodes it (identity, gzip, deflate, br, zstd)."""
    import zlib

    if coding is None:
        return body
    if coding == "gzip":
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return zlib.decompress(body)
    if coding == "br":
        import brotli  # untyped: the project's mypy config ignores its missing stubs

        out: bytes = brotli.decompress(body)
        return out
    if coding == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    raise AssertionError(f"unexpected Content-Encoding {coding!r}")


def make_site() -> Path:
    """A folder to serve (``public/``) beside a secret, with siblings, dotfiles and symlinks.

    Made once per process, in a temporary folder removed at exit.
    """
    base = Path(tempfile.mkdtemp(prefix="pegboard-fuzz-"))
    import atexit
    import shutil

    atexit.register(shutil.rmtree, base, ignore_errors=True)
    public = base / "public"
    (public / "sub").mkdir(parents=True)
    (public / ".git").mkdir()
    (base / "secret.txt").write_bytes(SECRET)
    (public / ".env").write_bytes(SECRET)
    (public / ".git" / "config").write_bytes(SECRET)
    (public / "a.txt").write_bytes(bytes(range(256)) * 4)
    (public / "sub" / "index.html").write_bytes(b"<h1>index</h1>\n")
    css = b"".join(b".r%d { margin: %dpx }\n" % (i, i) for i in range(200))
    (public / "site.css").write_bytes(css)
    import gzip

    (public / "site.css.gz").write_bytes(gzip.compress(css, mtime=0))
    stale = public / "a.txt.gz"
    stale.write_bytes(gzip.compress(b"stale", mtime=0))
    st = (public / "site.css").stat()
    os.utime(public / "site.css.gz", ns=(st.st_atime_ns, st.st_mtime_ns))
    os.utime(stale, ns=(st.st_atime_ns, st.st_mtime_ns - 10**10))  # older than a.txt: ignored
    os.symlink(base / "secret.txt", public / "out-link.txt")
    os.symlink(base, public / "up")
    return public


def status_of(
    app: Any,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    query: str = "",
) -> int:
    """The status code of one request, made from real header names (``Content-Type``)."""
    env = environ(path, method, body, QUERY_STRING=query)
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return call(app, env)[0]
