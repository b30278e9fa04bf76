"""Diagnostic logging tools: ``log_headers``, ``log_tracebacks``, ``log_hooks``.

All three write through the standard ``logging`` module (logger
``pegboard.http`` unless configured), so the application's logging setup
decides where the records go.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import pegboard

from ._config import log_level, with_defaults

__all__ = ["DEFAULT_REDACT", "LogHeadersTool", "LogHooksTool", "LogTracebacksTool"]

#: Request headers whose values are replaced by "[redacted]" in logs.
DEFAULT_REDACT = ("Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token")


def _request_line(req: pegboard.Request) -> str:
    request_id = req.environ.get("pegboard.request_id")
    suffix = f" [request {request_id}]" if request_id else ""
    return f"{req.method} {req.url} from {req.remote.ip}{suffix}"


class _LoggingTool(pegboard.Tool):
    """Common checks: ``severity`` is a logging level."""

    def check(self, options: dict[str, Any], section: str) -> None:
        log_level(with_defaults(self, options)["severity"], section, f"tools.{self.name}.severity")


class LogHeadersTool(_LoggingTool):
    """Log the request headers when an unexpected error happens (before the 500 page).

    Credentials are not written: the values of ``redact`` headers are
    replaced by ``[redacted]`` (CherryPy logs them as sent).
    """

    points = ("before_error_response",)

    def __init__(self) -> None:
        super().__init__("log_headers", point="before_error_response", priority=50, failsafe=True)

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        severity: int | str = "ERROR",
        logger: str = "pegboard.http",
        redact: list[str] | None = None,
    ) -> None:
        hidden = frozenset(h.lower() for h in (DEFAULT_REDACT if redact is None else redact))
        plan.add(
            "before_error_response",
            _log_headers,
            self.priority,
            True,
            level=log_level(severity, "", ""),
            log=logging.getLogger(logger),
            hidden=hidden,
        )


def _log_headers(
    req: pegboard.Request,
    resp: pegboard.Response,
    level: int,
    log: logging.Logger,
    hidden: frozenset[str],
) -> None:
    if not log.isEnabledFor(level):
        return
    lines = [
        f"  {name}: {'[redacted]' if name.lower() in hidden else value}"
        for name, value in req.headers.items()
    ]
    log.log(level, "Request headers of %s:\n%s", _request_line(req), "\n".join(lines))


class LogTracebacksTool(_LoggingTool):
    """Log the traceback of an unexpected error with the request it happened in.

    The core already logs every unexpected error once (logger
    ``pegboard.error``); this adds the method, URL, client and request id,
    at the ``severity`` and on the logger you choose.
    """

    points = ("before_error_response",)

    def __init__(self) -> None:
        super().__init__(
            "log_tracebacks", point="before_error_response", priority=50, failsafe=True
        )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        severity: int | str = "ERROR",
        logger: str = "pegboard.http",
    ) -> None:
        plan.add(
            "before_error_response",
            _log_traceback,
            self.priority,
            True,
            level=log_level(severity, "", ""),
            log=logging.getLogger(logger),
        )


def _log_traceback(
    req: pegboard.Request, resp: pegboard.Response, level: int, log: logging.Logger
) -> None:
    # The hook runs inside the core's ``except`` block, so the error is current.
    exc = sys.exc_info()[1]
    log.log(level, "Unexpected error in %s", _request_line(req), exc_info=exc)


class LogHooksTool(_LoggingTool):
    """Log the hooks each request ran, in order, once it has ended (for debugging)."""

    points = ("on_end_request",)

    def __init__(self) -> None:
        super().__init__("log_hooks", point="on_end_request", priority=100, failsafe=True)

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        severity: int | str = "INFO",
        logger: str = "pegboard.http",
    ) -> None:
        plan.add(
            "on_end_request",
            _log_hooks,
            self.priority,
            True,
            level=log_level(severity, "", ""),
            log=logging.getLogger(logger),
        )


def _log_hooks(
    req: pegboard.Request, resp: pegboard.Response, level: int, log: logging.Logger
) -> None:
    if not log.isEnabledFor(level):
        return
    lines = req.plan.describe() or ["(no hooks)"]
    log.log(level, "Hooks of %s:\n%s", _request_line(req), "\n".join("  " + line for line in lines))
