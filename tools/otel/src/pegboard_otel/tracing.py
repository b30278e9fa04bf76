"""The server span of each request: started first, current while the handler runs, ended last.

``on_start_resource`` extracts the trace context from the request headers
through the global propagator (``traceparent``/``tracestate`` by default),
starts a SERVER span and makes it current, so spans the handler starts are
its children. A failsafe ``on_end_request`` hook ends it once the body
has been sent (or the server closed it), whatever happened before: an error
page, an exception, a handler tool's answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

import pegboard
from pegboard import HTTPError, HTTPRedirect

from .attributes import error_type, request_attributes, route_of, span_name, split_host

__all__ = [
    "END_PRIORITY",
    "ENVIRON_GETTER",
    "START_PRIORITY",
    "Active",
    "Settings",
    "Tracing",
    "Tracings",
    "end_span",
    "event_wrapper",
    "span_of",
    "span_wrapper",
    "start_span",
]

#: on_start_resource: before every other tool, so that the span covers them all.
START_PRIORITY = -10
#: on_end_request: after every other tool's end-of-request work.
END_PRIORITY = 1000
#: The ``req.state`` name of the request's tracing record (a tool uses its own name).
STATE_NAME = "otel"
TRACER_NAME = "pegboard_otel"
TRACER_VERSION = "0.1.0"


class _EnvironGetter(Getter[dict[str, Any]]):
    """Reads propagation headers (``traceparent``...) from a WSGI environ."""

    def get(self, carrier: dict[str, Any], key: str) -> list[str] | None:
        value = carrier.get("HTTP_" + key.upper().replace("-", "_"))
        return None if value is None else [value]

    def keys(self, carrier: dict[str, Any]) -> list[str]:
        return [k[5:].lower().replace("_", "-") for k in carrier if k.startswith("HTTP_")]


ENVIRON_GETTER = _EnvironGetter()


class Tracing:
    """The tracer of one configured provider, chosen once, when the first plan compiles.

    PERF: without a tracer provider (no SDK set up) ``tracer`` is None and the
    tool attaches nothing at all, so a request pays nothing for it.
    """

    __slots__ = ("opened", "provider", "tracer", "why_off")

    def __init__(self, provider: Any) -> None:
        #: the configured TracerProvider, or None for the global one
        self.provider = provider
        self.tracer: trace.Tracer | None = None
        self.opened = False
        #: why tracing is off (no provider set), for the warning at start
        self.why_off: str | None = None

    def open(self) -> trace.Tracer | None:
        """Pick the tracer (once); None when no provider is set or the SDK is disabled."""
        if self.opened:
            return self.tracer
        self.opened = True
        provider = self.provider
        if provider is None:
            provider = trace.get_tracer_provider()
            if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
                self.why_off = (
                    "tools.otel is on, but no OpenTelemetry tracer provider was set when the "
                    "app compiled, so no spans are recorded; set one "
                    "(opentelemetry.trace.set_tracer_provider) before the app starts, or name "
                    "one in tools.otel.tracer_provider"
                )
                return None
        tracer: trace.Tracer = provider.get_tracer(TRACER_NAME, TRACER_VERSION)
        if isinstance(tracer, trace.NoOpTracer):  # the SDK, disabled (OTEL_SDK_DISABLED)
            return None
        self.tracer = tracer
        return tracer


class Tracings:
    """Every ``Tracing`` of one app, one per distinct provider option (``app.state.otel``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_provider: dict[int, Tracing] = {}

    def for_provider(self, provider: Any) -> Tracing:
        with self._lock:
            found = self._by_provider.get(id(provider))
            if found is None:
                found = self._by_provider[id(provider)] = Tracing(provider)
            return found

    def all(self) -> list[Tracing]:
        with self._lock:
            return list(self._by_provider.values())


class Settings:
    """What a plan's options decide, prepared once per plan."""

    __slots__ = ("redact", "request_headers", "response_headers")

    def __init__(
        self,
        redact: tuple[str, ...],
        request_headers: tuple[str, ...],
        response_headers: tuple[str, ...],
    ) -> None:
        self.redact = frozenset(redact)
        # PERF: the environ key and the attribute name of each header, built once.
        self.request_headers = tuple(
            ("HTTP_" + name.upper().replace("-", "_"), f"http.request.header.{name.lower()}")
            for name in request_headers
        )
        self.response_headers = tuple(
            (name, f"http.response.header.{name.lower()}") for name in response_headers
        )


class Active:
    """The tracing record of one request (``req.state.otel``)."""

    __slots__ = ("client", "context", "host", "recording", "scheme", "span", "token", "tracer")

    def __init__(
        self,
        span: Span,
        context: Context,
        token: Token[Context],
        tracer: trace.Tracer,
        client: str,
        scheme: str,
        host: str,
    ) -> None:
        self.span = span
        #: the context with the server span, parent of the hooks' child spans
        self.context = context
        self.token = token
        self.tracer = tracer
        #: False for a span the sampler dropped: nothing more is recorded on it
        self.recording = span.is_recording()
        self.client = client
        self.scheme = scheme
        self.host = host


_EMPTY = Context()


def start_span(
    req: pegboard.Request, resp: pegboard.Response, tracing: Tracing, settings: Settings
) -> None:
    """on_start_resource: extract the parent context, start the server span, make it current."""
    tracer = tracing.tracer
    assert tracer is not None  # attached only with a tracer
    environ = req.environ
    # An empty base context: only the request's headers decide the parent, never a
    # span some other code left current on this thread.
    parent = propagate.extract(environ, context=_EMPTY, getter=ENVIRON_GETTER)
    route = route_of(req)
    attributes = request_attributes(req, route, settings.redact, settings.request_headers)
    span = tracer.start_span(
        span_name(req.method, route), context=parent, kind=SpanKind.SERVER, attributes=attributes
    )
    current = trace.set_span_in_context(span, parent)
    token = otel_context.attach(current)
    req.state.otel = Active(
        span,
        current,
        token,
        tracer,
        attributes["client.address"],
        attributes["url.scheme"],
        req.host,
    )


def end_span(req: pegboard.Request, resp: pegboard.Response, settings: Settings) -> None:
    """on_end_request: the response's attributes and status, then end the span."""
    active: Active | None = req.state.get(STATE_NAME)
    if active is None:
        return
    span = active.span
    try:
        if active.recording:
            _finish_attributes(req, resp, active, settings)
    finally:
        try:
            otel_context.detach(active.token)
        finally:
            span.end()


def _finish_attributes(
    req: pegboard.Request, resp: pegboard.Response, active: Active, settings: Settings
) -> None:
    span = active.span
    status = resp.status
    span.set_attribute("http.response.status_code", status)
    # A proxy tool may have replaced the client, scheme and host after the span started.
    client = req.remote.ip
    if client != active.client:
        span.set_attribute("client.address", client)
    scheme = req.scheme
    if scheme != active.scheme:
        span.set_attribute("url.scheme", scheme)
    host = req.host
    if host != active.host or scheme != active.scheme:
        address, port = split_host(host, scheme)
        span.set_attribute("server.address", address)
        if port is not None:
            span.set_attribute("server.port", port)
    for name, attribute in settings.response_headers:
        values = resp.headers.get_all(name)
        if values:
            span.set_attribute(attribute, tuple(values))
    error = req.error
    unexpected = error is not None and not isinstance(error, (HTTPError, HTTPRedirect))
    if unexpected:
        assert error is not None
        span.record_exception(error)
    if status >= 500:
        # Server spans: only a 5xx is an error (a 4xx is the client's).
        span.set_attribute("error.type", error_type(error) if unexpected and error else str(status))
        span.set_status(Status(StatusCode.ERROR))


# -- each tool's hooks ------------------------------------------------------------


def hook_label(hook: pegboard.Hook) -> tuple[str, dict[str, Any]]:
    """The event or span name of a hook (``tools.sessions``) and its attributes."""
    callback = hook.callback
    qualname = getattr(callback, "__qualname__", None) or type(callback).__qualname__
    module = getattr(callback, "__module__", None)
    name = f"tools.{hook.source}" if hook.source else "hooks"
    attributes: dict[str, Any] = {
        "pegboard.hook.callback": f"{module}.{qualname}" if module else qualname,
        "pegboard.hook.priority": hook.priority,
    }
    if hook.source:
        attributes["pegboard.tool"] = hook.source
    return name, attributes


Call = Callable[[Any, Any], Any]


def event_wrapper() -> Callable[[pegboard.Hook, Call], Call]:
    """``plan.wrap_hooks`` wrapper: one span event per hook call, with its duration."""
    from time import time_ns

    def wrap(hook: pegboard.Hook, call: Call) -> Call:
        if hook.source == "otel":
            return call
        name, attributes = hook_label(hook)

        def recorded(req: Any, resp: Any) -> Any:
            active: Active | None = req.state.get(STATE_NAME)
            if active is None or not active.recording:
                return call(req, resp)
            started = time_ns()
            failed: BaseException | None = None
            try:
                return call(req, resp)
            except BaseException as exc:
                failed = exc
                raise
            finally:
                event = dict(attributes)
                event["pegboard.hook.duration_ms"] = (time_ns() - started) / 1e6
                if failed is not None:
                    event["exception.type"] = error_type(failed)
                active.span.add_event(name, event, timestamp=started)

        return recorded

    return wrap


def span_wrapper() -> Callable[[pegboard.Hook, Call], Call]:
    """``plan.wrap_hooks`` wrapper: a child span per hook call, current while it runs."""

    def wrap(hook: pegboard.Hook, call: Call) -> Call:
        if hook.source == "otel":
            return call
        name, attributes = hook_label(hook)

        def traced(req: Any, resp: Any) -> Any:
            active: Active | None = req.state.get(STATE_NAME)
            if active is None or not active.recording:
                return call(req, resp)
            span = active.tracer.start_span(name, context=active.context, attributes=attributes)
            token = otel_context.attach(trace.set_span_in_context(span, active.context))
            try:
                return call(req, resp)
            except (HTTPError, HTTPRedirect) as exc:
                span.set_attribute("pegboard.hook.answered", exc.status)
                raise
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("error.type", error_type(exc))
                raise
            finally:
                otel_context.detach(token)
                span.end()

        return traced

    return wrap


def span_of(req: pegboard.Request) -> Span | None:
    """The request's server span (None where tools.otel is off or records nothing)."""
    active: Active | None = req.state.get(STATE_NAME)
    return None if active is None else active.span
