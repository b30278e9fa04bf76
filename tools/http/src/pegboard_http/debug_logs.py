"""Diagnostic logging tools: ``log_headers``, ``log_tracebacks``, ``log_hooks``.

All three write through the standard ``logging`` module (logger
``pegboard.http`` unless configured), so the application's logging setup
decides where the records go.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import pegboard

from ._config import log_level
from .request_id import request_id_of

__all__ = [
    "DEFAULT_REDACT",
    "LogHeadersOptions",
    "LogHeadersTool",
    "LogHooksOptions",
    "LogHooksTool",
    "LogOptions",
    "LogTracebacksTool",
]

#: Request headers whose values are replaced by "[redacted]" in logs.
DEFAULT_REDACT = ("Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token")


def _request_line(req: pegboard.Request) -> str:
    request_id = request_id_of(req)
    suffix = f" [request {request_id}]" if request_id else ""
    return f"{req.method} {req.url} from {req.remote.ip}{suffix}"


class LogOptions(pegboard.ToolOptions):
    """Options of ``log_tracebacks``: the level and the logger."""

    severity: int | str = pegboard.option(
        default="ERROR", doc="the logging level, a name (ERROR) or a number (40)"
    )
    logger: str = pegboard.option(default="pegboard.http", doc="the logger written to")

    def __post_init__(self) -> None:
        log_level(self.severity)


class LogHeadersOptions(LogOptions):
    """Options of ``log_headers``: level, logger, and the headers never written."""

    redact: list[str] | None = pegboard.option(
        default=None,
        doc="headers logged as [redacted]; unset: DEFAULT_REDACT (credentials and cookies)",
    )


class LogHooksOptions(LogOptions):
    """Options of ``log_hooks``: as ``log_tracebacks``, at INFO by default."""

    severity: int | str = pegboard.option(
        default="INFO", doc="the logging level, a name (INFO) or a number (20)"
    )


@dataclass(frozen=True, slots=True)
class _Settings:
    level: int
    log: logging.Logger
    hidden: frozenset[str] = frozenset()


def _settings(options: LogOptions, hidden: frozenset[str] = frozenset()) -> _Settings:
    return _Settings(log_level(options.severity), logging.getLogger(options.logger), hidden)


class LogHeadersTool(pegboard.Tool[LogHeadersOptions]):
    """Log the request headers when an unexpected error happens (before the 500 page).

    Credentials are not written: the values of ``redact`` headers are
    replaced by ``[redacted]`` (CherryPy logs them as sent).
    """

    hooks = (
        pegboard.HookDoc(
            "before_error_response",
            50,
            "logs the request headers of a failed request, credentials redacted",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("log_headers", point="before_error_response", priority=50, failsafe=True)

    def attach(self, plan: pegboard.PlanBuilder, options: LogHeadersOptions) -> None:
        redact = DEFAULT_REDACT if options.redact is None else options.redact
        settings = _settings(options, frozenset(h.lower() for h in redact))
        plan.add("before_error_response", _log_headers, self.priority, True, args=(settings,))


def _log_headers(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    log, level, hidden = settings.log, settings.level, settings.hidden
    if not log.isEnabledFor(level):
        return
    lines = [
        f"  {name}: {'[redacted]' if name.lower() in hidden else value}"
        for name, value in req.headers.items()
    ]
    log.log(level, "Request headers of %s:\n%s", _request_line(req), "\n".join(lines))


class LogTracebacksTool(pegboard.Tool[LogOptions]):
    """Log the traceback of an unexpected error with the request it happened in.

    The core already logs every unexpected error once (logger
    ``pegboard.error``); this adds the method, URL, client and request id,
    at the ``severity`` and on the logger you choose.
    """

    hooks = (
        pegboard.HookDoc(
            "before_error_response",
            50,
            "logs the traceback with method, URL, client and request id",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__(
            "log_tracebacks", point="before_error_response", priority=50, failsafe=True
        )

    def attach(self, plan: pegboard.PlanBuilder, options: LogOptions) -> None:
        plan.add(
            "before_error_response", _log_traceback, self.priority, True, args=(_settings(options),)
        )


def _log_traceback(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    # The hook runs inside the core's ``except`` block, so the error is current.
    exc = sys.exc_info()[1]
    settings.log.log(settings.level, "Unexpected error in %s", _request_line(req), exc_info=exc)


class LogHooksTool(pegboard.Tool[LogHooksOptions]):
    """Log the hooks each request ran, in order, once it has ended (for debugging)."""

    hooks = (
        pegboard.HookDoc(
            "on_end_request", 100, "logs the hooks the request ran, in order", failsafe=True
        ),
    )

    def __init__(self) -> None:
        super().__init__("log_hooks", point="on_end_request", priority=100, failsafe=True)

    def attach(self, plan: pegboard.PlanBuilder, options: LogHooksOptions) -> None:
        plan.add("on_end_request", _log_hooks, self.priority, True, args=(_settings(options),))


def _log_hooks(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    if not settings.log.isEnabledFor(settings.level):
        return
    lines = req.plan.describe() or ["(no hooks)"]
    settings.log.log(
        settings.level,
        "Hooks of %s:\n%s",
        _request_line(req),
        "\n".join("  " + line for line in lines),
    )
