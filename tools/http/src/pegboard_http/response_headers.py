"""The ``response_headers`` tool: fixed headers on every response of a path."""

from __future__ import annotations

import pegboard
import pegboard.httputil as httputil

__all__ = ["ResponseHeadersOptions", "ResponseHeadersTool"]

Pairs = tuple[tuple[str, str], ...]


class ResponseHeadersOptions(pegboard.ToolOptions):
    """Options of the ``response_headers`` tool."""

    headers: dict[str, str] | list[tuple[str, str]] | None = pegboard.option(
        default=None, doc="the headers to set: a table, or CherryPy's list of [name, value] pairs"
    )

    def __post_init__(self) -> None:
        for name, value in self.pairs():
            if not httputil.is_token(name):
                raise pegboard.OptionError("headers", f"{name!r} is not a header name")
            if not httputil.is_valid_field_value(value):
                raise pegboard.OptionError(
                    "headers", f"the value of {name!r} contains a line break or NUL"
                )

    def pairs(self) -> Pairs:
        """The configured headers as ``(name, value)`` pairs, in order."""
        headers = self.headers
        if headers is None:
            return ()
        items = headers.items() if isinstance(headers, dict) else headers
        return tuple((name, value) for name, value in items)


class ResponseHeadersTool(pegboard.Tool[ResponseHeadersOptions]):
    """Set ``headers`` (a table, or CherryPy's list of ``[name, value]`` pairs).

    They are set before the handler runs, so a handler can still change
    them, and they are set again (where missing) on the 500 page of an
    unexpected error, which starts from empty headers, so security headers
    are never lost.
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 10, "sets the headers (a handler may change them)", failsafe=True
        ),
        pegboard.HookDoc(
            "after_error_response", 50, "sets them again, where missing, on the 500 page", True
        ),
    )

    def __init__(self) -> None:
        super().__init__("response_headers", point="on_start_resource", priority=10, failsafe=True)

    def attach(self, plan: pegboard.PlanBuilder, options: ResponseHeadersOptions) -> None:
        pairs = options.pairs()
        if not pairs:
            return
        plan.add("on_start_resource", _set_headers, self.priority, True, args=(pairs,))
        missing = tuple(p for p in pairs if p[0].lower() not in ("content-type", "content-length"))
        plan.add("after_error_response", _set_missing_headers, 50, True, args=(missing,))


def _set_headers(req: pegboard.Request, resp: pegboard.Response, pairs: Pairs) -> None:
    headers = resp.headers
    for name, value in pairs:
        headers[name] = value


def _set_missing_headers(req: pegboard.Request, resp: pegboard.Response, pairs: Pairs) -> None:
    headers = resp.headers
    for name, value in pairs:
        headers.setdefault(name, value)
