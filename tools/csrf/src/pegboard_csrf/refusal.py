"""The 403 of a refused request: an HTML page for people, problem+json for programs.

A refusal is an ``HTTPError(403)``, so that no later hook and no handler
runs. Its page is :func:`refusal_page`, unless config gives the path a page
of its own (``error_page.403``, or a default one such as json_out's problem
details).
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any, NoReturn

import pegboard
from pegboard import Request
from pegboard.httputil import HeaderError, best_media

__all__ = ["PROBLEM_TYPE", "refusal_page", "refuse"]

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


def refuse(req: Request, reason: str) -> NoReturn:
    """Raise the 403 for ``reason`` (logged), with the refusal page unless config has one."""
    _log.warning("refused %s %s from %s: %s", req.method, req.path, req.remote.ip, reason[:200])
    raise pegboard.HTTPError(403, reason, page=refusal_page)
