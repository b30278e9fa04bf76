"""``problem_details``: error responses as RFC 9457 ``application/problem+json``.

Every error the core renders (an ``HTTPError`` raised in any hook or
handler, the 500 for an unexpected exception) goes through the path's
error page. This module makes that page, for paths with problem details
on, one that writes a problem object, so the detail of the exception is
kept and an error raised late (a 412 in ``before_finalize``) is covered too.
"""

from __future__ import annotations

import copy
import threading
from types import MappingProxyType
from typing import Any

import pegboard
from pegboard import Plan, Request, Response

from .encoding import encode

__all__ = ["PROBLEM_PRIORITY", "PROBLEM_TYPE", "ProblemPages", "problem_body"]

PROBLEM_TYPE = "application/problem+json"
#: on_start_resource: the first hook of the request, before any tool can raise
PROBLEM_PRIORITY = 0


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
    exchange = pegboard.current_exchange()  # always bound while the core renders an error
    if exchange is not None:
        exchange[1].headers["Content-Type"] = PROBLEM_TYPE
    return problem_body(int(code), phrase, message, traceback or None)


class ProblemPages:
    """An app's plans with the problem page as their default error page, made once each.

    Lives in ``app.state.json_out``; the core compiles plans once, so the
    cache holds one entry per plan of a problem-details path, and is
    bounded for plans made per request.
    """

    max_entries = 1024

    def __init__(self) -> None:
        # id(plan) -> (plan, the same plan with the problem page); the plan is kept so
        # that its id cannot be reused by another plan while the entry lives.
        self._derived: dict[int, tuple[Plan, Plan]] = {}
        self._lock = threading.Lock()

    def derive(self, plan: Plan) -> Plan:
        """``plan`` with the problem page as ``error_page.default`` (a page per status wins)."""
        found = self._derived.get(id(plan))
        if found is not None and found[0] is plan:
            return found[1]
        derived = copy.copy(plan)
        derived.error_pages = MappingProxyType({**plan.error_pages, "default": _problem_page})
        with self._lock:
            if len(self._derived) >= self.max_entries:
                self._derived.clear()
            self._derived[id(plan)] = (plan, derived)
        return derived

    def install(self, req: Request, resp: Response) -> None:
        """on_start_resource: this request runs its plan with the problem page.

        PERF: the derived plan is made once per compiled plan and then looked up.
        """
        req.plan = self.derive(req.plan)

    def __len__(self) -> int:
        return len(self._derived)
