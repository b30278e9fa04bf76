"""The ``otel`` tool: attaches the server span's hooks and, if asked, records every tool's hooks."""

from __future__ import annotations

import logging

import pegboard

from .options import OtelOptions
from .tracing import (
    END_PRIORITY,
    START_PRIORITY,
    Settings,
    Tracings,
    end_span,
    event_wrapper,
    span_wrapper,
    start_span,
)

__all__ = ["OtelTool"]

_log = logging.getLogger("pegboard.otel")


class OtelTool(pegboard.Tool[OtelOptions]):
    """OpenTelemetry tracing: a server span per request, each tool's hooks recorded on it."""

    hooks = (
        pegboard.HookDoc(
            "on_start_resource",
            START_PRIORITY,
            does="starts the server span from `traceparent` and makes it current (first, "
            "so it covers every tool)",
        ),
        pegboard.HookDoc(
            "on_end_request",
            END_PRIORITY,
            does="sets the status and ends the span once the body was sent (last)",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("otel", point="on_start_resource", priority=START_PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: OtelOptions) -> None:
        assert plan.app is not None
        tracings = plan.app.state.setdefault("otel", Tracings)
        tracing = tracings.for_provider(options.tracer_provider)
        if tracing.open() is None:
            return  # PERF: no tracer provider: nothing attached, nothing to pay per request
        settings = Settings(options.redact_query, options.request_headers, options.response_headers)
        plan.add("on_start_resource", start_span, self.priority, args=(tracing, settings))
        plan.add("on_end_request", end_span, END_PRIORITY, True, args=(settings,))
        if options.hooks == "events":
            plan.wrap_hooks(event_wrapper())
        elif options.hooks == "spans":
            plan.wrap_hooks(span_wrapper())

    def start(self, app: pegboard.App) -> None:
        tracings: Tracings | None = app.state.get("otel")
        for tracing in tracings.all() if tracings is not None else ():
            if tracing.why_off is not None:
                _log.warning("%s", tracing.why_off)
