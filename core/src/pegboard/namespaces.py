"""The config namespaces the core itself understands, with their keys' types and defaults.

App validation and the generated configuration reference both read these
tables, so the documentation cannot drift from what is accepted.
"""

from __future__ import annotations

from typing import Any

from .plans import DEFAULT_MAX_BODY_SIZE

__all__ = [
    "CORE_NAMESPACES",
    "GLOBAL_OPTIONS",
    "OPTION_DOCS",
    "REQUEST_OPTIONS",
    "RESPONSE_OPTIONS",
]

CORE_NAMESPACES = ("tools", "hooks", "request", "response", "error_page")

REQUEST_OPTIONS: dict[str, Any] = {
    "show_tracebacks": bool,
    "max_body_size": int,
    "process_request_body": bool,
}
RESPONSE_OPTIONS: dict[str, Any] = {"headers": dict[str, str]}
GLOBAL_OPTIONS: dict[str, dict[str, Any]] = {
    "server": {
        "host": str,
        "port": int,
        "workers": int,
        "threads": int,
        "name": str,
        "body_timeout": float,
        "body_readers": int,
        "cpu_affinity": bool,
    },
    "plugins": {"disable": list[str]},
    "request": {"allowed_hosts": list[str]},
}

#: key -> (default, what it does), for the generated reference
OPTION_DOCS: dict[str, tuple[Any, str]] = {
    "request.show_tracebacks": (False, "send the traceback of a 500 to the client (debug only)"),
    "request.max_body_size": (
        DEFAULT_MAX_BODY_SIZE,
        "largest request body in bytes; more is a 413",
    ),
    "request.process_request_body": (
        True,
        "parse urlencoded/multipart bodies into req.form/params",
    ),
    "response.headers": ({}, "headers set on every response of the section"),
    "server.host": ("127.0.0.1", "address `pegboard serve` binds"),
    "server.port": (8080, "port `pegboard serve` binds"),
    "server.workers": (1, "processes `pegboard serve` runs"),
    "server.threads": (8, "threads per process"),
    "server.name": (None, "server adapter (default: the measured choice, see servers.md)"),
    "server.body_timeout": (
        30.0,
        "seconds a request body may send nothing before a 408 (see servers.md)",
    ),
    "server.body_readers": (
        None,
        "request bodies read at once per process (granian); more get a 503 at once; "
        "unset: one per thread, at least 4 (see servers.md)",
    ),
    "server.cpu_affinity": (
        False,
        "keep each worker process on one CPU, worker N on the N-th CPU it may use "
        "(Linux; for machines given to the site, see servers.md)",
    ),
    "plugins.disable": ([], "entry-point or distribution names not to load"),
    "request.allowed_hosts": (
        None,
        "Host names served (`example.com`, `.example.com` for subdomains too, `:port` to "
        "pin a port, `*` for any); another Host gets 400 before routing; unset: any Host",
    ),
}
