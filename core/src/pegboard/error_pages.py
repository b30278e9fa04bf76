"""Turning HTTPError, HTTPRedirect and unexpected exceptions into responses."""

from __future__ import annotations

import html
import json
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

from ._version import __version__
from .errors import HTTPError, HTTPRedirect, reason, status_line
from .httputil import parse_accept

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

__all__ = ["apply_http_error", "apply_redirect", "render_error"]


# Headers that describe the original body, not the error page that replaces it.
_REPRESENTATION = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Content-Range",
    "Content-Disposition",
    "Content-Language",
    "ETag",
    "Last-Modified",
)

_HTML = string.Template(
    """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>$status</title></head>
<body>
<h1>$status</h1>
<p>$message</p>
$traceback
</body>
</html>
"""
)


def _wants_json(accept: str | None) -> bool:
    """True when the client ranks JSON (``application/json``, ``*/*+json``) above HTML."""
    if not accept:
        return False
    best_json = best_html = -1.0
    for item in parse_accept(accept, strict=False).ranges:
        media = f"{item.type}/{item.subtype}"
        if media == "application/json" or (item.type == "application" and media.endswith("+json")):
            best_json = max(best_json, item.q)
        elif media in ("text/html", "application/xhtml+xml", "text/*", "*/*"):
            best_html = max(best_html, item.q)
    return best_json > 0 and best_json > best_html


def render_error(
    req: Request,
    resp: Response,
    status: int,
    message: str | None,
    traceback: str | None = None,
    fallback_page: Any = None,
) -> None:
    """Fill ``resp`` with the error page for ``status``: custom page, JSON or HTML."""
    for name in _REPRESENTATION:
        resp.headers.pop(name)
    resp.status = status
    message = message or _default_message(status)
    if status == 304 or status == 204:
        resp.set_body(None)
        return
    pages = req.plan.error_pages
    page = pages.get(str(status)) or pages.get("default") or fallback_page
    if page is not None:
        resp.set_body(_custom_page(req, page, status, message, traceback))
        if "Content-Type" not in resp.headers:
            resp.headers["Content-Type"] = "text/html; charset=utf-8"
        return
    if _wants_json(req.environ.get("HTTP_ACCEPT")):
        data: dict[str, Any] = {"status": status, "title": reason(status), "message": message}
        if traceback:
            data["traceback"] = traceback
        resp.headers["Content-Type"] = "application/json"
        resp.set_body(json.dumps(data).encode("utf-8"))
        return
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    resp.set_body(
        _HTML.substitute(
            status=html.escape(status_line(status)),
            message=html.escape(message),
            traceback=f"<pre>{html.escape(traceback)}</pre>" if traceback else "",
        )
    )


def _default_message(status: int) -> str:
    if status == 404:
        return "Nothing matches the given URI."
    if status >= 500:
        return "The server met an unexpected condition and could not complete the request."
    return reason(status)


def _custom_page(req: Request, page: Any, status: int, message: str, traceback: str | None) -> Any:
    if callable(page):
        return page(
            status=status_line(status),
            message=message,
            traceback=traceback or "",
            version=__version__,
        )
    path = Path(page)
    template = string.Template(path.read_text(encoding="utf-8"))
    return template.safe_substitute(
        status=html.escape(status_line(status)),
        message=html.escape(message),
        traceback=html.escape(traceback or ""),
        version=__version__,
    )


def apply_http_error(req: Request, resp: Response, exc: HTTPError) -> None:
    """Make ``exc`` the response, keeping cookies and unrelated headers."""
    req.error = exc
    # PERF: its traceback holds the frames that hold ``req``, which holds ``exc``: a
    # reference cycle per error response, kept with the environ until the garbage
    # collector runs (a 404 flood). An answer chosen on purpose needs no traceback.
    exc.__traceback__ = None
    render_error(req, resp, exc.status, exc.message, fallback_page=exc.page)
    for name in {name.lower() for name, _ in exc.headers}:
        resp.headers.pop(name)
    for name, value in exc.headers:
        resp.headers.add(name, value)  # several WWW-Authenticate challenges stay separate


#: What a Location keeps as it is: RFC 3986's reserved and unreserved characters and '%'
#: (so an escape stays one); spaces, controls and non-ASCII text are percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=-._~%"


def apply_redirect(req: Request, resp: Response, exc: HTTPRedirect) -> None:
    """Make the redirect the response, with absolute ``Location`` and a small body."""
    req.error = exc
    exc.__traceback__ = None  # no reference cycle through its frames (apply_http_error)
    for name in _REPRESENTATION:
        resp.headers.pop(name)
    base = req.url
    urls = [quote(urljoin(base, url), safe=_URL_SAFE) for url in exc.urls]
    resp.status = exc.status
    if exc.status == 304:
        resp.set_body(None)
        return
    resp.headers["Location"] = urls[0]
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    links = "<br>\n".join(
        f'Moved to <a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>.' for u in urls
    )
    resp.set_body(links if req.method != "HEAD" else None)
