"""Type-checked, not run: the otel, profiler and xmlrpc packages' accessors and options."""

from __future__ import annotations

from typing import Literal, assert_type

from opentelemetry.trace import Span

import pegboard
from pegboard import Request, Response
from pegboard_otel import OtelOptions, OtelTool, span_of
from pegboard_profiler import (
    PageOptions,
    ProfilerOptions,
    ProfilerPageTool,
    ProfilerTool,
    profile_of,
)
from pegboard_xmlrpc import XmlRpcOptions, XmlRpcTool, method_of


def handler(req: Request, resp: Response) -> str:
    span = span_of(req)
    assert_type(span, Span | None)
    if span is not None:
        span.set_attribute("shop.items", 3)
    assert_type(profile_of(req), str | None)
    assert_type(method_of(req), str | None)
    return "ok"


otel = OtelOptions(hooks="spans", request_headers=("X-Tenant",))
assert_type(otel.hooks, Literal["events", "spans", "off"])
profiler = ProfilerOptions(every=10, engine="cprofile")
assert_type(profiler.engine, Literal["both", "pyinstrument", "cprofile"])
assert_type(profiler.secret, str | None)
assert_type(PageOptions().allow, tuple[str, ...])
assert_type(XmlRpcOptions().allow_none, bool)
tools: list[pegboard.Tool] = [OtelTool(), ProfilerTool(), ProfilerPageTool(), XmlRpcTool()]
assert_type(OtelTool().build_options({}, "/"), OtelOptions)
assert_type(XmlRpcTool().build_options({}, "/"), XmlRpcOptions)
