"""The 403 of a refused request: an HTML page for people, problem+json for programs.

A refusal is an ``HTTPError(403)``, so that no later hook and no handler
runs. Its page is the path's 403 error page for this one request: the
request runs a copy of its plan with that page (made once per plan, kept in
``app.state.csrf``), unless config gives the path a page of its own
(``error_page.403``, or a default one such as json_out's problem details).
"""

from __future__ import annotations

import copy
import html
import json
import logging
import threading
from types import MappingProxyType
from typing import Any

import pegboard
from pegboard import Plan, Request
from pegboard.httputil import HeaderError, best_media

__all__ = ["PROBLEM_TYPE", "RefusalPages", "refusal_page"]

_log = logging.getLogger("pegboard_csrf")

PROBLEM_TYPE = "application/problem+json"
_OFFERS = ("text/html", PROBLEM_TYPE, "application/json")
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>403 Forbidden: request refused</title></head>
<body>
<h1 id="refusal">Request refused</h1>
<p>{reason}</p>
<p>This site refuses requests that change something unless they come from its own
pages, to protect you from other sites acting in your name (cross-site request
forgery). If you were using a form on this site, go back, reload the page and send
it again.</p>
</body>
</html>
"""


def refusal_page(status: str, message: str, traceback: str = "", **more: Any) -> str | bytes:
    """The error page of a refusal: problem+json when the client prefers JSON, else HTML."""
    exchange = pegboard.current_exchange()  # bound while the core renders an error
    accept = exchange[0].environ.get("HTTP_ACCEPT") if exchange is not None else None
    try:
        wanted = best_media(accept, _OFFERS, strict=False)
    except HeaderError:
        wanted = "text/html"
    if exchange is not None and wanted in (PROBLEM_TYPE, "application/json"):
        exchange[1].headers["Content-Type"] = PROBLEM_TYPE
        code, _, title = status.partition(" ")
        problem = {"type": "about:blank", "title": title, "status": int(code), "detail": message}
        return json.dumps(problem).encode("utf-8")
    return _PAGE.format(reason=html.escape(message))


class RefusalPages:
    """An app's plans with the refusal page as their 403 page, made once per plan."""

    max_entries = 1024

    def __init__(self) -> None:
        self._derived: dict[int, tuple[Plan, Plan]] = {}
        self._lock = threading.Lock()

    def derive(self, plan: Plan) -> Plan:
        found = self._derived.get(id(plan))
        if found is not None and found[0] is plan:
            return found[1]
        derived = copy.copy(plan)
        derived.error_pages = MappingProxyType({**plan.error_pages, "403": refusal_page})
        with self._lock:
            if len(self._derived) >= self.max_entries:
                self._derived.clear()
            self._derived[id(plan)] = (plan, derived)
        return derived

    def refuse(self, req: Request, reason: str) -> None:
        """Raise the 403 for ``reason`` (logged), with the refusal page unless config has one."""
        _log.warning("refused %s %s from %s: %s", req.method, req.path, req.remote.ip, reason[:200])
        pages = req.plan.error_pages
        if "403" not in pages and "default" not in pages:
            req.plan = self.derive(req.plan)
        raise pegboard.HTTPError(403, reason)

    def clear(self) -> None:
        with self._lock:
            self._derived.clear()

    def __len__(self) -> int:
        return len(self._derived)
