"""The ``response_time`` tool: how long a request took, in a response header.

A complete third-party tool package, written against pegboard's public API
only; copy it to start one of your own. It shows each part of the typed form:

- the options as a :class:`pegboard.ToolOptions` class, each field one config
  key with its meaning (and unit), checked in ``__post_init__``;
- a ``Tool`` subclass naming that class as its type argument, declaring the
  hooks it attaches in ``hooks`` and attaching them in ``attach``, where the
  per-route work is done once (here: which writer to use);
- per-request data in ``req.state`` under the tool's own name, with a typed
  accessor (:func:`elapsed`) for handlers.
"""

from __future__ import annotations

import time
from typing import Literal

import pegboard
from pegboard.httputil import is_token

__all__ = ["START_PRIORITY", "ResponseTimeOptions", "ResponseTimeTool", "elapsed", "pegboard_tools"]

#: on_start_resource: first, so that every other tool's time counts.
START_PRIORITY = 0
#: before_finalize: late, after the body transforms (gzip is 80).
REPORT_PRIORITY = 90
#: The ``req.state`` name this tool keeps the start time under (a tool uses its own name).
STATE_NAME = "response_time"


class ResponseTimeOptions(pegboard.ToolOptions):
    """The options of ``tools.response_time``: each field is one config key."""

    header: str = pegboard.option(
        default="X-Response-Time",
        doc="the response header that carries the time; `Server-Timing` is written "
        "in that header's syntax (`app;dur=1.234`)",
    )
    precision: Literal[0, 1, 2, 3] = pegboard.option(
        default=3, doc="digits after the decimal point of the milliseconds", unit="digits"
    )

    def __post_init__(self) -> None:
        # Runs when the app starts: a bad value is a ConfigError naming the key.
        if not is_token(self.header):
            raise pegboard.OptionError("header", f"{self.header!r} is not a header name")


class ResponseTimeTool(pegboard.Tool[ResponseTimeOptions]):
    """Times each request and reports it in ``header`` (milliseconds)."""

    hooks = (
        pegboard.HookDoc("on_start_resource", START_PRIORITY, does="notes the start time"),
        pegboard.HookDoc(
            "before_finalize",
            REPORT_PRIORITY,
            does="writes the header (late, so other tools' time counts)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("response_time", point="before_finalize", priority=REPORT_PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: ResponseTimeOptions) -> None:
        plan.add("on_start_resource", _start, START_PRIORITY)
        # PERF: the writer is chosen once per route, not on every request.
        server_timing = options.header.lower() == "server-timing"
        report = _report_server_timing if server_timing else _report
        plan.add("before_finalize", report, self.priority, args=(options,))


def elapsed(req: pegboard.Request) -> float | None:
    """Seconds since ``response_time`` started timing ``req``; None where the tool is off."""
    started: float | None = req.state.get(STATE_NAME)
    return None if started is None else time.perf_counter() - started


def _start(req: pegboard.Request, resp: pegboard.Response) -> None:
    req.state.response_time = time.perf_counter()


# PERF: the writers read the start time themselves (one call less per request than elapsed()).


def _report(req: pegboard.Request, resp: pegboard.Response, options: ResponseTimeOptions) -> None:
    started: float | None = req.state.get(STATE_NAME)
    if started is not None:
        milliseconds = (time.perf_counter() - started) * 1000.0
        resp.headers[options.header] = f"{milliseconds:.{options.precision}f}ms"


def _report_server_timing(
    req: pegboard.Request, resp: pegboard.Response, options: ResponseTimeOptions
) -> None:
    started: float | None = req.state.get(STATE_NAME)
    if started is not None:
        milliseconds = (time.perf_counter() - started) * 1000.0
        resp.headers.add("Server-Timing", f"app;dur={milliseconds:.{options.precision}f}")


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [ResponseTimeTool()]
