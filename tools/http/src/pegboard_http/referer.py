"""The ``referer`` tool: refuse requests whose Referer does (or does not) match a pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pegboard

__all__ = ["RefererOptions", "RefererTool"]


class RefererOptions(pegboard.ToolOptions):
    """Options of the ``referer`` tool."""

    pattern: str = pegboard.option(
        doc="regular expression matched at the start of the Referer (re.match); anchor the host"
    )
    accept: bool = pegboard.option(
        default=True, doc="true: the Referer must match; false: it must not"
    )
    accept_missing: bool = pegboard.option(
        default=False, doc="let requests without a Referer through"
    )
    error: int = pegboard.option(default=403, doc="the status of a refused request (4xx or 5xx)")
    message: str = pegboard.option(
        default="Forbidden Referer header.", doc="the body of the error page"
    )

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise pegboard.OptionError("pattern", f"not a regular expression: {exc}") from None
        if not 400 <= self.error <= 599:
            raise pegboard.OptionError("error", "error must be a 4xx or 5xx status")


@dataclass(frozen=True, slots=True)
class _Settings:
    regex: re.Pattern[str]
    accept: bool
    accept_missing: bool
    error: int
    message: str


class RefererTool(pegboard.Tool[RefererOptions]):
    """Answer ``error`` unless the Referer header matches ``pattern`` (or, with
    ``accept = false``, unless it does not match).

    ``pattern`` is a regular expression matched at the start of the header
    (``re.match``, as in CherryPy): anchor the host, e.g.
    ``^https://example\\.com(/|$)``, or ``https://example.com.evil.test``
    matches too. ``Vary: Referer`` is added, so a shared cache never serves
    an answer meant for one referrer to another.
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 22, "refuses requests by their Referer; adds Vary: Referer"
        ),
    )

    def __init__(self) -> None:
        super().__init__("referer", point="on_start_resource", priority=22)

    def attach(self, plan: pegboard.PlanBuilder, options: RefererOptions) -> None:
        settings = _Settings(
            re.compile(options.pattern),
            options.accept,
            options.accept_missing,
            options.error,
            options.message,
        )
        plan.add("on_start_resource", _referer, self.priority, args=(settings,))


def _referer(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    resp.headers.add_vary("Referer")
    referer = req.headers.get("Referer")
    if referer is None:
        if settings.accept_missing:
            return
    elif (settings.regex.match(referer) is not None) == settings.accept:
        return
    raise pegboard.HTTPError(settings.error, settings.message)
