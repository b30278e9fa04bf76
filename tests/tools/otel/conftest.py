"""The otel tests record spans with the SDK's in-memory exporter, on a provider of their own.

The global tracer provider can be set once per process, so these tests give
the tool their provider through ``tools.otel.tracer_provider`` and leave the
global one unset (the "no SDK configured" case); a subprocess checks the
global provider.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import pegboard_otel


class Recorder:
    """A TracerProvider whose finished spans are kept in memory."""

    def __init__(self, **provider_kwargs: Any) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(**provider_kwargs)
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def spans(self) -> list[Any]:
        return list(self.exporter.get_finished_spans())

    def server_span(self, wait: float = 0.0) -> Any:
        """The one server span; ``wait`` seconds at most for it to end (a live server
        ends it once the body is sent, which may be after the client has it all)."""
        deadline = time.monotonic() + wait
        servers = [s for s in self.spans() if s.kind.name == "SERVER"]
        while not servers and time.monotonic() < deadline:
            time.sleep(0.01)
            servers = [s for s in self.spans() if s.kind.name == "SERVER"]
        assert len(servers) == 1, [s.name for s in self.spans()]
        return servers[0]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with the otel package registered from code."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", [pegboard_otel])
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory


@pytest.fixture
def make_recorder() -> Callable[..., Recorder]:
    """``make_recorder(sampler=...)``: a recorder on a provider built with these arguments."""
    return Recorder
