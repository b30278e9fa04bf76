"""The ``allow`` tool: answer 405 to methods a path does not accept."""

from __future__ import annotations

import re
from typing import Any

import pegboard

from ._config import with_defaults

__all__ = ["AllowTool"]

_METHOD = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _normalise(methods: list[str] | str | None) -> list[str]:
    """Upper-cased, de-duplicated methods in the given order; HEAD follows GET."""
    if methods is None:
        methods = ["GET", "HEAD"]
    elif isinstance(methods, str):
        methods = [methods]
    ordered: list[str] = []
    for method in methods:
        upper = method.strip().upper()
        if upper and upper not in ordered:
            ordered.append(upper)
    if "GET" in ordered and "HEAD" not in ordered:
        ordered.insert(ordered.index("GET") + 1, "HEAD")
    return ordered


class AllowTool(pegboard.Tool):
    """Only the listed methods reach the handler; others get 405 with ``Allow``.

    HEAD is implied by GET. OPTIONS is answered with 204 and the ``Allow``
    header unless it is listed (then the handler answers it). ``Allow`` is
    sent on every response of the path, as CherryPy does.
    """

    points = ("on_start_resource",)

    def __init__(self) -> None:
        super().__init__("allow", point="on_start_resource", priority=20)

    def check(self, options: dict[str, Any], section: str) -> None:
        methods = with_defaults(self, options)["methods"]
        for method in [methods] if isinstance(methods, str) else methods or []:
            if not _METHOD.match(method.strip()):
                raise pegboard.ConfigError(
                    f"{method!r} is not an HTTP method name",
                    section=section,
                    key="tools.allow.methods",
                )
        if not _normalise(methods):
            raise pegboard.ConfigError(
                "list at least one method", section=section, key="tools.allow.methods"
            )

    def attach(  # type: ignore[override]  # the options are the schema
        self, plan: pegboard.PlanBuilder, methods: list[str] | str | None = None
    ) -> None:
        allowed = _normalise(methods)
        shown = allowed if "OPTIONS" in allowed else [*allowed, "OPTIONS"]
        plan.add(
            "on_start_resource",
            _allow,
            self.priority,
            allowed=frozenset(allowed),
            header=", ".join(shown),
        )


def _allow(
    req: pegboard.Request, resp: pegboard.Response, allowed: frozenset[str], header: str
) -> None:
    resp.headers["Allow"] = header
    method = req.method
    if method in allowed:
        return
    if method == "OPTIONS":
        resp.status = 204
        req.handler = None
        return
    raise pegboard.HTTPError(405, f"{method} is not allowed here.", headers={"Allow": header})
