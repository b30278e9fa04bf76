"""A raw WSGI hello-world callable, the same for every server in the benchmark."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer every request with a fixed 13-byte text body."""
    start_response("200 OK", HEADERS)
    return [BODY]
