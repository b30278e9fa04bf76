"""The ``response_headers`` tool: fixed headers on every response of a path."""

from __future__ import annotations

import re
from typing import Any

import pegboard

from ._config import with_defaults

__all__ = ["ResponseHeadersTool"]

_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

Pairs = tuple[tuple[str, str], ...]


def _pairs(headers: dict[str, str] | list[tuple[str, str]] | None) -> Pairs:
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, dict) else headers
    return tuple((name, value) for name, value in items)


class ResponseHeadersTool(pegboard.Tool):
    """Set ``headers`` (a table, or CherryPy's list of ``[name, value]`` pairs).

    They are set before the handler runs, so a handler can still change
    them, and they are set again on the 500 page of an unexpected error
    (which starts from empty headers), so security headers are never lost.
    """

    points = ("on_start_resource", "after_error_response")

    def __init__(self) -> None:
        super().__init__("response_headers", point="on_start_resource", priority=10, failsafe=True)

    def check(self, options: dict[str, Any], section: str) -> None:
        for name, value in _pairs(with_defaults(self, options)["headers"]):
            if not _NAME.match(name):
                raise pegboard.ConfigError(
                    f"{name!r} is not a header name",
                    section=section,
                    key="tools.response_headers.headers",
                )
            if "\r" in value or "\n" in value:
                raise pegboard.ConfigError(
                    f"the value of {name!r} contains a line break",
                    section=section,
                    key="tools.response_headers.headers",
                )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> None:
        pairs = _pairs(headers)
        if not pairs:
            return
        plan.add("on_start_resource", _set_headers, self.priority, True, pairs=pairs)
        plan.add("after_error_response", _set_missing_headers, 50, True, pairs=pairs)


def _set_headers(req: pegboard.Request, resp: pegboard.Response, pairs: Pairs) -> None:
    headers = resp.headers
    for name, value in pairs:
        headers[name] = value


def _set_missing_headers(req: pegboard.Request, resp: pegboard.Response, pairs: Pairs) -> None:
    headers = resp.headers
    for name, value in pairs:
        if name.lower() not in ("content-type", "content-length"):
            headers.setdefault(name, value)
