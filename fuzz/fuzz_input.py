"""What the tool harnesses share: header values from fuzzer bytes, a WSGI call, a small site.

A header value reaches a tool as the WSGI server hands it over: a ``str`` of
Latin-1 characters, one per byte. ``values`` cuts the fuzzer's bytes into
several such values on LF (which no header value can hold).
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

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


def fuzz(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under atheris with the command line's libFuzzer options.

    Coverage comes from pegboard's own code (the core and the tool packages),
    instrumented in place: instrumenting everything imported (httplint, the
    standard library) takes minutes and steers the fuzzer away from our parsers.
    """
    import atheris

    done: set[int] = set()
    for name, module in list(sys.modules.items()):
        if name == "pegboard" or name.startswith(("pegboard.", "pegboard_")):
            for value in list(vars(module).values()):
                _instrument(atheris, value, done)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def _ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "pegboard" or module.startswith(("pegboard.", "pegboard_"))


def _instrument(atheris: Any, obj: Any, done: set[int]) -> None:
    """Instrument a function, or the methods of a class, of pegboard's (each once)."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    elif isinstance(obj, property):
        for accessor in (obj.fget, obj.fset, obj.fdel):
            if accessor is not None:
                _instrument(atheris, accessor, done)
        return
    try:  # functools.lru_cache and friends; a context proxy raises outside a request
        wrapped = None if isinstance(obj, type) else getattr(obj, "__wrapped__", None)
    except RuntimeError:
        return
    if wrapped is not None:
        _instrument(atheris, wrapped, done)
        return
    if id(obj) in done or not _ours(obj):
        return
    done.add(id(obj))
    if isinstance(obj, types.FunctionType):
        atheris.instrument_func(obj)
    elif isinstance(obj, type):
        for value in list(vars(obj).values()):
            _instrument(atheris, value, done)


def replay(test_one_input: Callable[[bytes], None], seeds: list[bytes], count: int) -> None:
    """The seeds, then ``count`` inputs mutated from them (a fixed random sequence).

    The short run CI does without libFuzzer: the same harness, the same
    invariants, inputs that differ from run to run only when the code does.
    A failure names the input.
    """
    rng = random.Random(14)
    inputs = list(seeds)
    for _ in range(count):
        data = bytearray(rng.choice(inputs))
        for _ in range(rng.randint(1, 4)):
            action = rng.randrange(5)
            at = rng.randint(0, len(data))
            if action == 0:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif action == 1 and data:
                del data[at : at + rng.randint(1, 8)]
            elif action == 2 and data:
                data[min(at, len(data) - 1)] = rng.randrange(256)
            elif action == 3:
                data[at:at] = rng.choice(_TOKENS)
            else:
                other = rng.choice(inputs)
                data[at:] = other[rng.randint(0, len(other)) :]
        inputs.append(bytes(data))
    for data in inputs:
        try:
            test_one_input(data)
        except Exception as exc:
            raise AssertionError(f"{type(exc).__name__} for input {data!r}") from exc


# Pieces that mean something to the parsers under test, for mutations to splice in.
_TOKENS = [
    b"\n",
    b",",
    b";q=",
    b"0.5",
    b"*",
    b'"',
    b"W/",
    b"-",
    b"bytes=",
    b"gzip",
    b"br",
    b"identity",
    b"%2e%2e/",
    b"../",
    b"%00",
    b"GMT",
    b"Sun, 06 Nov 1994 08:49:37 GMT",
    b"9" * 30,
]
