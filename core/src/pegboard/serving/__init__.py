"""Run a WSGI app under a production server: the adapter behind ``pegboard serve``.

Two adapters: ``granian`` (the default, chosen by measurement, see docs/servers.md;
Rust core, one process per worker) and ``waitress`` (pure Python, one process,
works everywhere). The server libraries are imported only when used.

The app comes from a zero-argument factory, called once in every process that
serves requests (in each worker, after fork). If the app has ``start()`` and
``stop()`` methods they run once per serving process: ``start()`` before the
first request, ``stop()`` after the last, on SIGINT or SIGTERM.

Both adapters read a request's whole body before the app runs, so a client that
sends its body slowly holds no request thread: granian through
:class:`~pegboard.serving.bodies.BufferedBodies`, waitress by design.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable

from ._affinity import affinity_supported
from ._common import GRACE_SECONDS, Settings, WSGIApp
from ._granian import serve_granian
from ._waitress import serve_waitress

__all__ = [
    "BODY_TIMEOUT",
    "DEFAULT_SERVER",
    "GRACE_SECONDS",
    "WSGIApp",
    "affinity_supported",
    "available_servers",
    "body_readers",
    "serve",
]

DEFAULT_SERVER = "granian"
BODY_TIMEOUT = 30.0
"""Default seconds a request body may go without sending a byte (``server.body_timeout``)."""

_Adapter = Callable[[Callable[[], WSGIApp], Settings], None]
_ADAPTERS: dict[str, tuple[str, _Adapter]] = {  # name: (import name, adapter); default first
    "granian": ("granian", serve_granian),
    "waitress": ("waitress", serve_waitress),
}


def available_servers() -> list[str]:
    """Names of the servers that are installed and have an adapter, the default first."""
    return [
        name
        for name, (module, _) in _ADAPTERS.items()
        if importlib.util.find_spec(module) is not None
    ]


def body_readers(threads: int) -> int:
    """Request bodies read at once by default: one per request thread, at least 4.

    Each reader is one more granian thread, and granian's pool grows into all of
    them under load, bodies or not, where they take turns on the GIL (the figures,
    in bench/README.md, moved within the noise between 16, 8 and 4 readers). Uploads
    past the limit get a 503 at once; ``server.body_readers`` raises it for sites
    that take many slow uploads.
    """
    return max(4, threads)


def serve(
    load_app: Callable[[], WSGIApp],
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    threads: int = 8,
    server: str | None = None,
    body_timeout: float = BODY_TIMEOUT,
    max_body_size: int | None = None,
    readers: int | None = None,
    cpu_affinity: bool = False,
) -> None:
    """Serve the app built by ``load_app`` until SIGINT or SIGTERM, then shut down cleanly.

    ``load_app`` runs once in every serving process (each worker, after fork); the
    app's optional ``start()``/``stop()`` run once per process around serving.
    ``workers`` is the number of processes, ``threads`` the request threads in each.
    ``server=None`` picks the first of :func:`available_servers` (granian if installed,
    else waitress).

    Request bodies are read whole before the app runs: one that sends nothing for
    ``body_timeout`` seconds gets a 408 (granian; waitress closes the connection), one
    larger than ``max_body_size`` a 413 (default: the app's largest
    ``request.max_body_size``, else 10 MiB). ``readers`` bodies are read at once per
    process (default :func:`body_readers`), more get a 503 (granian).

    ``cpu_affinity=True`` keeps each serving process on one CPU, worker N on the
    N-th CPU this process may use (Linux only; see docs/servers.md for when it pays).

    Raises ``ValueError`` for an unknown or uninstalled server, or settings the server
    cannot honour. Must be called from the main thread.
    """
    if workers < 1 or threads < 1:
        raise ValueError(f"workers and threads must be >= 1, got {workers} and {threads}")
    if not body_timeout > 0:
        raise ValueError(f"body_timeout must be a number of seconds > 0, got {body_timeout}")
    if readers is not None and readers < 1:
        raise ValueError(f"readers must be >= 1, got {readers}")
    installed = available_servers()
    name = server if server is not None else (installed[0] if installed else DEFAULT_SERVER)
    if name not in installed:
        known = ", ".join(installed) or "none (pip install granian)"
        raise ValueError(f"server {name!r} is not available; installed: {known}")
    if readers is not None and name == "waitress":
        raise ValueError(
            "body readers (server.body_readers) are granian's; waitress reads every body "
            "in its own loop: remove the setting, or serve with granian"
        )
    if cpu_affinity and not affinity_supported():
        raise ValueError(
            "cpu_affinity (server.cpu_affinity) needs Linux's sched_setaffinity, which this "
            "system lacks: remove the setting"
        )
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("serve() handles signals, so it must run in the main thread")
    settings = Settings(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        body_timeout=float(body_timeout),
        max_body_size=max_body_size,
        body_readers=readers if readers is not None else body_readers(threads),
        cpu_affinity=bool(cpu_affinity),
    )
    _ADAPTERS[name][1](load_app, settings)
