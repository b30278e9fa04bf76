"""The ``referer`` tool: refuse requests whose Referer does (or does not) match a pattern."""

from __future__ import annotations

import re
from typing import Any

import pegboard

from ._config import with_defaults

__all__ = ["RefererTool"]


class RefererTool(pegboard.Tool):
    """Answer ``error`` unless the Referer header matches ``pattern`` (or, with
    ``accept = false``, unless it does not match).

    ``pattern`` is a regular expression matched at the start of the header
    (``re.match``, as in CherryPy): anchor the host, e.g.
    ``^https://example\\.com(/|$)``, or ``https://example.com.evil.test``
    matches too. ``Vary: Referer`` is added, so a shared cache never serves
    an answer meant for one referrer to another.
    """

    points = ("on_start_resource",)

    def __init__(self) -> None:
        super().__init__("referer", point="on_start_resource", priority=22)

    def check(self, options: dict[str, Any], section: str) -> None:
        values = with_defaults(self, options)
        try:
            re.compile(values["pattern"])
        except re.error as exc:
            raise pegboard.ConfigError(
                f"not a regular expression: {exc}", section=section, key="tools.referer.pattern"
            ) from None
        if not 400 <= values["error"] <= 599:
            raise pegboard.ConfigError(
                "error must be a 4xx or 5xx status", section=section, key="tools.referer.error"
            )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        pattern: str,
        accept: bool = True,
        accept_missing: bool = False,
        error: int = 403,
        message: str = "Forbidden Referer header.",
    ) -> None:
        plan.add(
            "on_start_resource",
            _referer,
            self.priority,
            regex=re.compile(pattern),
            accept=accept,
            accept_missing=accept_missing,
            error=error,
            message=message,
        )


def _referer(
    req: pegboard.Request,
    resp: pegboard.Response,
    regex: re.Pattern[str],
    accept: bool,
    accept_missing: bool,
    error: int,
    message: str,
) -> None:
    resp.headers.add_vary("Referer")
    referer = req.headers.get("Referer")
    if referer is None:
        if accept_missing:
            return
    elif (regex.match(referer) is not None) == accept:
        return
    raise pegboard.HTTPError(error, message)
