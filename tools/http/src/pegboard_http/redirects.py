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

from ._config import with_defaults

__all__ = [
    "MAX_INTERNAL_REDIRECTS",
    "ErrRedirectTool",
    "InternalRedirectLoop",
    "RedirectTool",
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


def _check_target(tool: pegboard.Tool, options: dict[str, Any], section: str) -> None:
    values = with_defaults(tool, options)
    url, internal, status = values["url"], values["internal"], values["status"]
    key = f"tools.{tool.name}.url"
    if not url.strip():
        raise pegboard.ConfigError("url must not be empty", section=section, key=key)
    parts = urlsplit(url)
    if internal and (parts.scheme or parts.netloc):
        raise pegboard.ConfigError(
            "an internal redirect goes to a path of this app, like '/elsewhere'; "
            "set internal = false to redirect the client to another site",
            section=section,
            key=key,
        )
    if not 300 <= status <= 399:
        raise pegboard.ConfigError(
            "status must be a 3xx code", section=section, key=f"tools.{tool.name}.status"
        )


class RedirectTool(pegboard.Tool):
    """Send every request of a path elsewhere: internally (default) or with a 3xx."""

    points = ("on_start_resource",)

    def __init__(self) -> None:
        super().__init__("redirect", point="on_start_resource", priority=26)

    def check(self, options: dict[str, Any], section: str) -> None:
        _check_target(self, options, section)

    def attach(  # type: ignore[override]  # the options are the schema
        self, plan: pegboard.PlanBuilder, url: str, internal: bool = True, status: int = 303
    ) -> None:
        plan.add(
            "on_start_resource", _redirect, self.priority, url=url, internal=internal, status=status
        )


def _redirect(
    req: pegboard.Request, resp: pegboard.Response, url: str, internal: bool, status: int
) -> None:
    if not internal:
        raise pegboard.HTTPRedirect(url, status)
    try:
        internal_redirect(req, resp, url)
    except InternalRedirectLoop as exc:
        _log.error("%s (%s %s)", exc, req.method, req.path)
        raise pegboard.HTTPError(500, "The server's redirects form a loop.") from None


class ErrRedirectTool(pegboard.Tool):
    """On an unexpected error (a 500), show another page instead of the error page.

    Internal (default): the body of ``url`` is served with the 500 status
    kept, so clients and caches still see the failure. External: a 3xx to
    ``url``.
    """

    points = ("after_error_response",)

    def __init__(self) -> None:
        super().__init__("err_redirect", point="after_error_response", priority=40)

    def check(self, options: dict[str, Any], section: str) -> None:
        _check_target(self, options, section)

    def attach(  # type: ignore[override]  # the options are the schema
        self, plan: pegboard.PlanBuilder, url: str, internal: bool = True, status: int = 303
    ) -> None:
        plan.add(
            "after_error_response",
            _err_redirect,
            self.priority,
            url=url,
            internal=internal,
            status=status,
        )


def _err_redirect(
    req: pegboard.Request, resp: pegboard.Response, url: str, internal: bool, status: int
) -> None:
    if internal:
        failed = resp.status
        try:
            internal_redirect(req, resp, url)
        except InternalRedirectLoop as exc:
            _log.error("err_redirect not followed: %s", exc)
            return
        resp.status = failed
        return
    location = urljoin(req.url, url)
    resp.reset(keep_cookies=True)
    resp.status = status
    resp.headers["Location"] = location
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    link = html.escape(location, quote=True)
    resp.set_body(f'This resource can be found at <a href="{link}">{link}</a>.')


class TrailingSlashTool(pegboard.Tool):
    """Redirect ``/docs`` to ``/docs/`` (``missing``) or back (``extra``) when only
    the other spelling has a route.

    It acts on paths no route matches, so switch it on in a path section
    (``["/"]``), not in a route's own config. The redirect is 301 for GET and
    HEAD and 308 for other methods (which keeps the method and body), unless
    ``status`` says otherwise; the query string is kept.
    """

    points = ("on_start_resource",)

    def __init__(self) -> None:
        super().__init__("trailing_slash", point="on_start_resource", priority=24)

    def check(self, options: dict[str, Any], section: str) -> None:
        status = with_defaults(self, options)["status"]
        if status is not None and not 300 <= status <= 399:
            raise pegboard.ConfigError(
                "status must be a 3xx code", section=section, key="tools.trailing_slash.status"
            )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        missing: bool = True,
        extra: bool = False,
        status: int | None = None,
    ) -> None:
        if missing or extra:
            plan.add(
                "on_start_resource",
                _trailing_slash,
                self.priority,
                missing=missing,
                extra=extra,
                status=status,
            )


def _routed(app: pegboard.App, path: str) -> bool:
    try:
        route, _ = app.router.match(path)
    except pegboard.HTTPError:  # a typed segment that does not convert
        return False
    return route is not None


def _trailing_slash(
    req: pegboard.Request, resp: pegboard.Response, missing: bool, extra: bool, status: int | None
) -> None:
    if req.route is not None:
        return
    path = req.path
    if path.endswith("/"):
        if not extra or path == "/":
            return
        candidate = path[:-1]
    else:
        if not missing:
            return
        candidate = path + "/"
    if not _routed(req.app, candidate):
        return
    code = status or (301 if req.method in ("GET", "HEAD") else 308)
    # Absolute, built from our own origin: a path like "//evil.test" cannot become a host.
    url = req.base + quote(req.script_name + candidate)
    if req.query_string:
        url = f"{url}?{req.query_string}"
    raise pegboard.HTTPRedirect(url, code)
