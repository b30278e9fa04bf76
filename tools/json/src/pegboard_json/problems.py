"""``problem_details``: error responses as RFC 9457 ``application/problem+json``.

Every error the core renders (an ``HTTPError`` raised in any hook or
handler, the 500 for an unexpected exception) goes through the path's
error page. This module makes that page, for paths with problem details
on, one that writes a problem object, so the detail of the exception is
kept and an error raised late (a 412 in ``before_finalize``) is covered too.
"""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import pegboard
from pegboard import Plan, Request, Response

from .encoding import encode

__all__ = ["PROBLEM_TYPE", "problem_body", "use_problem_details"]

PROBLEM_TYPE = "application/problem+json"
_CACHE_SIZE = 1024
# id(plan) -> (plan, the same plan with the problem page as its default error page)
_derived: dict[int, tuple[Plan, Plan]] = {}


def problem_body(status: int, title: str, detail: str, traceback: str | None = None) -> bytes:
    """A problem object: ``type`` about:blank, the status phrase as ``title``, ``detail``."""
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if traceback:
        problem["traceback"] = traceback  # only when request.show_tracebacks is on
    return encode(problem)


def _problem_page(status: str, message: str, traceback: str = "", **more: Any) -> bytes:
    """The error page the core calls: ``status`` is a status line such as "404 Not Found"."""
    code, _sep, phrase = status.partition(" ")
    if pegboard.response:  # always bound while the core renders an error
        pegboard.response.headers["Content-Type"] = PROBLEM_TYPE
    return problem_body(int(code), phrase, message, traceback or None)


def _with_problem_page(plan: Plan) -> Plan:
    found = _derived.get(id(plan))
    if found is not None and found[0] is plan:
        return found[1]
    derived = copy.copy(plan)
    # A page configured for one status (error_page.404) still wins over this default.
    derived.error_pages = MappingProxyType({**plan.error_pages, "default": _problem_page})
    if len(_derived) >= _CACHE_SIZE:
        _derived.clear()
    _derived[id(plan)] = (plan, derived)
    return derived


def use_problem_details(req: Request, resp: Response) -> None:
    """First hook of the request: swap in this path's plan with the problem page.

    PERF: the derived plan is made once per compiled plan and then looked up.
    """
    req.plan = _with_problem_page(req.plan)
