"""The ``allow`` tool: answer 405 to methods a path does not accept."""

from __future__ import annotations

from dataclasses import dataclass

import pegboard
import pegboard.httputil as httputil

__all__ = ["AllowOptions", "AllowTool"]


class AllowOptions(pegboard.ToolOptions):
    """Options of the ``allow`` tool."""

    methods: list[str] | str | None = pegboard.option(
        default=None, doc="the allowed methods, any case (HEAD follows GET); GET and HEAD if unset"
    )

    def __post_init__(self) -> None:
        methods = self.methods
        for method in [methods] if isinstance(methods, str) else methods or []:
            if not httputil.is_token(method.strip()):
                raise pegboard.OptionError("methods", f"{method!r} is not an HTTP method name")
        if not self.normalised():
            raise pegboard.OptionError("methods", "list at least one method")

    def normalised(self) -> list[str]:
        """Upper-cased, de-duplicated methods in the given order; HEAD follows GET."""
        methods = self.methods
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


@dataclass(frozen=True, slots=True)
class _Settings:
    allowed: frozenset[str]
    header: str


class AllowTool(pegboard.Tool[AllowOptions]):
    """Only the listed methods reach the handler; others get 405 with ``Allow``.

    HEAD is implied by GET. OPTIONS is answered with 204 and the ``Allow``
    header unless it is listed (then the handler answers it). ``Allow`` is
    sent on every response of the path, as CherryPy does.
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 20, "sends Allow; 405 for other methods, 204 for OPTIONS"
        ),
    )

    def __init__(self) -> None:
        super().__init__("allow", point="on_start_resource", priority=20)

    def attach(self, plan: pegboard.PlanBuilder, options: AllowOptions) -> None:
        allowed = options.normalised()
        shown = allowed if "OPTIONS" in allowed else [*allowed, "OPTIONS"]
        settings = _Settings(frozenset(allowed), ", ".join(shown))
        plan.add("on_start_resource", _allow, self.priority, args=(settings,))


def _allow(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    header = settings.header
    resp.headers["Allow"] = header
    method = req.method
    if method in settings.allowed:
        return
    if method == "OPTIONS":
        resp.status = 204
        req.handler = None
        return
    raise pegboard.HTTPError(405, f"{method} is not allowed here.", headers={"Allow": header})
