"""Redirect tools: ``redirect``, ``err_redirect``, ``trailing_slash``, and internal redirects.

An internal redirect serves another path of the same app without telling
the client: the app is called again in-process with a copy of the WSGI
environ (method GET, no body, the new path and query), and the status,
headers and body it produced become this request's response.
"""

from __future__ import annotations

import contextvars
import html
import io
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import pegboard

__all__ = [
    "MAX_INTERNAL_REDIRECTS",
    "ErrRedirectTool",
    "InternalRedirectLoop",
    "RedirectOptions",
    "RedirectTool",
    "TrailingSlashOptions",
    "TrailingSlashTool",
    "internal_redirect",
]

_log = logging.getLogger("pegboard.http")

#: How many internal redirects one client request may go through.
MAX_INTERNAL_REDIRECTS = 10
#: environ key: the paths (with query) this request was internally redirected from.
REDIRECT_CHAIN_KEY = "pegboard_http.redirect_chain"


class InternalRedirectLoop(Exception):
    """An internal redirect would revisit a path or exceed MAX_INTERNAL_REDIRECTS."""


def internal_redirect(req: pegboard.Request, resp: pegboard.Response, target: str) -> None:
    """Replace ``resp`` with what this app answers for ``GET target``.

    ``target`` is a path (relative ones resolve against the request path)
    with an optional ``?query``; without one the new request has no query
    string, as in CherryPy. The handler of the current request is skipped
    (``req.handler = None``). Raises :class:`InternalRedirectLoop`.
    """
    raw_path, _, query = target.partition("?")
    path = urljoin(req.path, unquote(raw_path))
    chain: tuple[str, ...] = tuple(req.environ.get(REDIRECT_CHAIN_KEY, ()))
    here = f"{req.path}?{req.query_string}" if req.query_string else req.path
    there = f"{path}?{query}" if query else path
    visited = (*chain, here)
    if there in visited or len(chain) >= MAX_INTERNAL_REDIRECTS:
        raise InternalRedirectLoop(f"internal redirect loop: {' -> '.join((*visited, there))}")
    environ = dict(req.environ)
    environ.pop("CONTENT_TYPE", None)
    environ.pop("wsgi.input_terminated", None)
    environ.update(
        {
            REDIRECT_CHAIN_KEY: visited,
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(b""),
            "CONTENT_LENGTH": "0",
        }
    )
    # A copied context keeps the inner request from rebinding pegboard.request here.
    status, headers, body = contextvars.copy_context().run(_call_app, req.app, environ)
    resp.status = status
    resp.headers.clear()
    for name, value in headers:
        if name.lower() != "content-length":  # recomputed, in case a later hook changes the body
            resp.headers.add(name, value)
    resp.set_body(body)
    req.handler = None


def _call_app(
    app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body


class RedirectOptions(pegboard.ToolOptions):
    """Options of the ``redirect`` and ``err_redirect`` tools."""

    url: str = pegboard.option(
        doc="a path of this app (served internally) or any URL (a redirect the client sees)"
    )
    internal: bool = pegboard.option(
        default=True, doc="serve `url` in-process instead of redirecting the client"
    )
    status: int = pegboard.option(default=303, doc="the status of an external redirect (3xx)")

    def __post_init__(self) -> None:
        if not self.url.strip():
            raise pegboard.OptionError("url", "url must not be empty")
        parts = urlsplit(self.url)
        if self.internal and (parts.scheme or parts.netloc):
            raise pegboard.OptionError(
                "url",
                "an internal redirect goes to a path of this app, like '/elsewhere'; "
                "set internal = false to redirect the client to another site",
            )
        if not 300 <= self.status <= 399:
            raise pegboard.OptionError("status", "status must be a 3xx code")


class RedirectTool(pegboard.Tool[RedirectOptions]):
    """Send every request of a path elsewhere: internally (default) or with a 3xx."""

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 26, "serves another path internally, or redirects the client"
        ),
    )

    def __init__(self) -> None:
        super().__init__("redirect", point="on_start_resource", priority=26)

    def attach(self, plan: pegboard.PlanBuilder, options: RedirectOptions) -> None:
        plan.add("on_start_resource", _redirect, self.priority, args=(options,))


def _redirect(req: pegboard.Request, resp: pegboard.Response, options: RedirectOptions) -> None:
    if not options.internal:
        raise pegboard.HTTPRedirect(options.url, options.status)
    try:
        internal_redirect(req, resp, options.url)
    except InternalRedirectLoop as exc:
        _log.error("%s (%s %s)", exc, req.method, req.path)
        raise pegboard.HTTPError(500, "The server's redirects form a loop.") from None


class ErrRedirectTool(pegboard.Tool[RedirectOptions]):
    """On an unexpected error (a 500), show another page instead of the error page.

    Internal (default): the body of ``url`` is served with the 500 status
    kept, so clients and caches still see the failure. External: a 3xx to
    ``url``.
    """

    hooks = (
        pegboard.HookDoc(
            "after_error_response", 40, "replaces the 500 page with another page (status kept)"
        ),
    )

    def __init__(self) -> None:
        super().__init__("err_redirect", point="after_error_response", priority=40)

    def attach(self, plan: pegboard.PlanBuilder, options: RedirectOptions) -> None:
        plan.add("after_error_response", _err_redirect, self.priority, args=(options,))


def _err_redirect(req: pegboard.Request, resp: pegboard.Response, options: RedirectOptions) -> None:
    if options.internal:
        failed = resp.status
        try:
            internal_redirect(req, resp, options.url)
        except InternalRedirectLoop as exc:
            _log.error("err_redirect not followed: %s", exc)
            return
        resp.status = failed
        return
    location = urljoin(req.url, options.url)
    resp.reset(keep_cookies=True)
    resp.status = options.status
    resp.headers["Location"] = location
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    link = html.escape(location, quote=True)
    resp.set_body(f'This resource can be found at <a href="{link}">{link}</a>.')


class TrailingSlashOptions(pegboard.ToolOptions):
    """Options of the ``trailing_slash`` tool."""

    missing: bool = pegboard.option(
        default=True, doc="redirect /docs to /docs/ when only /docs/ has a route"
    )
    extra: bool = pegboard.option(
        default=False, doc="redirect /file/ to /file when only /file has a route"
    )
    status: int | None = pegboard.option(
        default=None, doc="the redirect status; unset: 301 for GET and HEAD, 308 otherwise"
    )

    def __post_init__(self) -> None:
        if self.status is not None and not 300 <= self.status <= 399:
            raise pegboard.OptionError("status", "status must be a 3xx code")


class TrailingSlashTool(pegboard.Tool[TrailingSlashOptions]):
    """Redirect ``/docs`` to ``/docs/`` (``missing``) or back (``extra``) when only
    the other spelling has a route.

    It acts on paths no route matches, so switch it on in a path section
    (``["/"]``), not in a route's own config. The redirect is 301 for GET and
    HEAD and 308 for other methods (which keeps the method and body), unless
    ``status`` says otherwise; the query string is kept.
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 24, "redirects to the spelling with(out) a slash that has a route"
        ),
    )

    def __init__(self) -> None:
        super().__init__("trailing_slash", point="on_start_resource", priority=24)

    def attach(self, plan: pegboard.PlanBuilder, options: TrailingSlashOptions) -> None:
        if options.missing or options.extra:
            plan.add("on_start_resource", _trailing_slash, self.priority, args=(options,))


def _routed(app: pegboard.App, path: str) -> bool:
    try:
        route, _ = app.router.match(path)
    except pegboard.HTTPError:  # a typed segment that does not convert
        return False
    return route is not None


def _trailing_slash(
    req: pegboard.Request, resp: pegboard.Response, options: TrailingSlashOptions
) -> None:
    if req.route is not None:
        return
    path = req.path
    if path.endswith("/"):
        if not options.extra or path == "/":
            return
        candidate = path[:-1]
    else:
        if not options.missing:
            return
        candidate = path + "/"
    if not _routed(req.app, candidate):
        return
    code = options.status or (301 if req.method in ("GET", "HEAD") else 308)
    # Absolute, built from our own origin: a path like "//evil.test" cannot become a host.
    url = req.base + quote(req.script_name + candidate)
    if req.query_string:
        url = f"{url}?{req.query_string}"
    raise pegboard.HTTPRedirect(url, code)
