"""OpenTelemetry tracing for pegboard: ``tools.otel``.

A SERVER span per request, named ``METHOD /route/{template}`` and carrying
the semantic-convention attributes for HTTP servers; the parent comes from
``traceparent``/``tracestate`` (the global propagator); the span is current
while the handler runs, so the application's own spans nest under it; each
tool's hooks appear as span events (or child spans). Only
``opentelemetry-api`` is needed at run time: with no SDK configured the tool
records nothing and costs next to nothing.
"""

from __future__ import annotations

import pegboard

from .attributes import KNOWN_METHODS, error_type, route_of, span_name
from .options import DEFAULT_REDACTED_QUERY_KEYS, OtelOptions
from .tool import OtelTool
from .tracing import ENVIRON_GETTER, TRACER_VERSION, span_of

__version__ = TRACER_VERSION

__all__ = [
    "DEFAULT_REDACTED_QUERY_KEYS",
    "ENVIRON_GETTER",
    "KNOWN_METHODS",
    "OtelOptions",
    "OtelTool",
    "error_type",
    "pegboard_tools",
    "route_of",
    "span_name",
    "span_of",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [OtelTool()]
