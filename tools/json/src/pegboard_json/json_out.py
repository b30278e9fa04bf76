"""The ``json_out`` tool: encode what the handler returns as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pegboard
from pegboard import PlanBuilder, Request, Response

from .encoding import encode as default_encode
from .problems import use_problem_details

__all__ = ["JsonOutTool", "wrap_handler"]

JSON_OUT_PRIORITY = 70
PROBLEM_PRIORITY = 0  # the first on_start_resource hook, before any tool can raise

Encoder = Callable[[Any], "bytes | str"]


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


class JsonOutTool(pegboard.Tool):
    """Encode handler results (dict, list, dataclass, ...) as JSON; errors as problem+json."""

    points = ("on_start_resource", "before_handler")

    def __init__(self) -> None:
        super().__init__("json_out", point="before_handler", priority=JSON_OUT_PRIORITY)

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: PlanBuilder,
        content_type: str = "application/json",
        handler: Callable[[Any], Any] | None = None,
        problem_details: bool = False,
    ) -> None:
        """``handler(value)``: the encoder (bytes or str), default orjson or json;
        ``problem_details``: errors on this path become application/problem+json."""
        plan.add(
            "before_handler",
            wrap_handler,
            self.priority,
            encode=handler or default_encode,
            content_type=content_type,
        )
        if problem_details:
            plan.add("on_start_resource", use_problem_details, PROBLEM_PRIORITY)
