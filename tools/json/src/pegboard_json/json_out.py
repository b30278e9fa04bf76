"""The ``json_out`` tool: encode what the handler returns as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pegboard
from pegboard import HookDoc, PlanBuilder, Request, Response, State, option

from .encoding import encode as default_encode
from .problems import PROBLEM_PRIORITY, ProblemPages

__all__ = ["JSON_OUT_PRIORITY", "JsonOutOptions", "JsonOutTool", "wrap_handler"]

JSON_OUT_PRIORITY = 70

Encoder = Callable[[Any], "bytes | str"]


class JsonOutOptions(pegboard.ToolOptions):
    """The options of ``tools.json_out``."""

    content_type: str = option(
        default="application/json",
        doc="the Content-Type set when the handler set none",
    )
    handler: Callable[[Any], Any] | None = option(
        default=None,
        doc="`handler(value) -> bytes | str`: the encoder (default orjson when installed, "
        "else the standard library)",
    )
    problem_details: bool = option(
        default=False, doc="answer every error on this path as application/problem+json"
    )


def wrap_handler(req: Request, resp: Response, *, encode: Encoder, content_type: str) -> None:
    """Wrap the handler so that its return value is encoded as JSON.

    Nothing is wrapped when a handler tool (a cache hit, a static file)
    already answered: ``req.handler`` is None then and its body stays as it is.
    Bytes are taken as JSON already encoded; an iterator (a generator, a
    file) is a stream the handler made; None leaves the response as the
    handler set it. Everything else (dict, list, str, numbers, dataclasses...)
    is encoded.
    """
    inner = req.handler
    if inner is None:
        return

    def handler(req: Request, resp: Response, **params: Any) -> Any:
        value = inner(req, resp, **params)
        if value is None or isinstance(value, Iterator):
            return value  # the handler set the body itself, or streams it
        if isinstance(value, (bytes, bytearray, memoryview)):
            resp.headers.setdefault("Content-Type", content_type)
            return value
        body = encode(value)
        resp.headers.setdefault("Content-Type", content_type)
        return body

    req.handler = handler


class _Wrapper:
    """The encoder and type of one route, resolved once in ``attach``."""

    __slots__ = ("content_type", "encode")

    def __init__(self, options: JsonOutOptions) -> None:
        self.encode: Encoder = options.handler or default_encode
        self.content_type = options.content_type

    def wrap(self, req: Request, resp: Response) -> None:
        """before_handler: make the handler's result JSON."""
        wrap_handler(req, resp, encode=self.encode, content_type=self.content_type)


class JsonOutTool(pegboard.Tool[JsonOutOptions]):
    """Encode handler results (dict, list, dataclass, ...) as JSON; errors as problem+json."""

    hooks = (
        HookDoc(
            "on_start_resource",
            PROBLEM_PRIORITY,
            does="with `problem_details`: makes the problem+json page the path's error page, "
            "before anything can raise",
        ),
        HookDoc(
            "before_handler",
            JSON_OUT_PRIORITY,
            does="wraps the handler so that its result is encoded (skipped when a handler "
            "tool answered)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("json_out", point="before_handler", priority=JSON_OUT_PRIORITY)

    def attach(self, plan: PlanBuilder, options: JsonOutOptions) -> None:
        # PERF: bound methods with no options, so the plan calls them directly.
        plan.add("before_handler", _Wrapper(options).wrap, self.priority)
        if options.problem_details:
            # One cache of derived plans per app, shared by its routes.
            state = plan.app.state if plan.app is not None else State()
            pages: ProblemPages = state.setdefault("json_out", ProblemPages)
            plan.add("on_start_resource", pages.install, PROBLEM_PRIORITY)
