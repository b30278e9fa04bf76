"""What the harnesses share: calling an app as a WSGI server would, seeding, running atheris."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["run", "status_of", "wire_text"]


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


def _seed(argv: list[str], seeds: Iterable[bytes]) -> None:
    """Write ``seeds`` into the corpus folders named on the command line that are empty."""
    for arg in argv[1:]:
        folder = Path(arg)
        if not arg.startswith("-") and folder.is_dir() and not any(folder.iterdir()):
            for number, seed in enumerate(seeds):
                (folder / f"seed-{number}").write_bytes(seed)


def run(test_one_input: Callable[[bytes], None], seeds: Iterable[bytes]) -> None:
    """Fuzz ``test_one_input``; the command line is libFuzzer's (corpus folders, options)."""
    import atheris

    _seed(sys.argv, seeds)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
