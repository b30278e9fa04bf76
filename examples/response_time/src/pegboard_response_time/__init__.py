"""The ``response_time`` tool: how long a request took, in a response header."""

from __future__ import annotations

import time
from typing import Any, Literal

import pegboard

__all__ = ["ResponseTimeTool", "pegboard_tools"]


class ResponseTimeTool(pegboard.Tool):
    """Times each request and reports it in ``header`` (milliseconds)."""

    points = ("on_start_resource", "before_finalize")

    def __init__(self) -> None:
        super().__init__("response_time", point="before_finalize", priority=90)

    def attach(
        self,
        plan: pegboard.PlanBuilder,
        header: str = "X-Response-Time",
        precision: Literal[0, 1, 2, 3] = 3,
    ) -> None:
        plan.add("on_start_resource", _start, 0)
        plan.add("before_finalize", _report, self.priority, header=header, precision=precision)


def _start(req: pegboard.Request, resp: pegboard.Response) -> None:
    req.response_time_start = time.perf_counter()


def _report(req: pegboard.Request, resp: pegboard.Response, header: str, precision: int) -> None:
    started = getattr(req, "response_time_start", None)
    if started is None:
        return
    elapsed = (time.perf_counter() - started) * 1000.0
    if header.lower() == "server-timing":
        resp.headers.add("Server-Timing", f"app;dur={elapsed:.{precision}f}")
    else:
        resp.headers[header] = f"{elapsed:.{precision}f}ms"


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return [ResponseTimeTool()]
