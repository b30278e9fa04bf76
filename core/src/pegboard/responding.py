"""Handing a finished response to the WSGI server: status line, headers and the body.

The last step of the request path: it sets the headers the core owns
(Content-Length, the default Content-Type), strips bodies that must not be
sent, keeps the request context alive while a streamed body is iterated, and
runs ``on_end_request`` once the server closes the body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import reduce
from operator import iadd
from typing import Any

from .context import _set_current
from .error_pages import apply_http_error, apply_redirect
from .errors import HTTPError, HTTPRedirect, _known_status_line, status_line
from .headers import ResponseHeaders
from .hooks import run_hooks
from .httputil import NO_BODY_STATUSES as STATUSES_WITHOUT_BODY
from .request import Request
from .response import Response

__all__ = ["ResponseBody", "finish", "handler_result"]

_log = logging.getLogger("pegboard.error")

_DEFAULT_TYPE = "text/html; charset=utf-8"

#: ``unexpected(req, resp, exc)``: turns an exception into a 500 (App._unexpected)
Unexpected = Callable[[Request, Response, BaseException], None]


_RETURNS = (
    "return str, bytes, an iterable of bytes or str, a dict (sent as JSON) or None, "
    "or turn on tools.json_out for lists and other objects as JSON"
)


def handler_result(req: Request, result: Any, resp: Response) -> Any:
    """What ``resp.set_body`` takes for a handler's return value other than str/bytes.

    A dict (any mapping) becomes JSON, ``application/json`` unless the
    handler set a type, as Flask does. bytearray, memoryview and iterables
    (lists, generators) are bodies as they are; their chunks must be bytes or
    str, which is checked as they are sent (so a tool such as ``flatten`` may
    still rewrite a nested one first). Anything else raises TypeError naming
    the handler, the type and the fix; the core turns it into a 500 and logs it.
    """
    if isinstance(result, Mapping):
        try:
            body = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise TypeError(
                f"handler {_handler_name(req)} returned a {type(result).__name__} that is not "
                f"JSON-serializable ({exc}); turn on tools.json_out, which encodes "
                "dataclasses, dates and more, or convert it yourself"
            ) from None
        resp.headers.setdefault("Content-Type", "application/json")
        return body.encode("utf-8")
    if isinstance(result, (bytearray, memoryview)) or (
        hasattr(result, "__iter__") and not isinstance(result, (int, float, complex))
    ):
        return result
    raise TypeError(f"handler {_handler_name(req)} returned {type(result).__name__}; {_RETURNS}")


def _handler_name(req: Request) -> str:
    """The user's handler for this request, named as ``module.qualname`` (not a tool's wrapper)."""
    route = req.route
    handler = route.handler_for(req.method) if route is not None else None
    target = getattr(handler or req.handler, "__func__", handler or req.handler)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None)
    return f"{module}.{name}" if module else name


def finish(
    req: Request,
    resp: Response,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    unexpected: Unexpected,
) -> Iterable[bytes]:
    """Call start_response and hand the body to the server."""
    status = resp._status
    headers = resp.headers
    stream = resp.stream
    head = req.method == "HEAD"
    unknown_length = False
    if stream is not None:
        if status in STATUSES_WITHOUT_BODY or head:
            resp.set_body(None)  # closes the stream
            stream = None
            unknown_length = "content-length" not in headers._items
        else:
            wrapper = environ.get("wsgi.file_wrapper")
            end_hooks = req.plan.on_end_request
            if not end_hooks and isinstance(wrapper, type) and isinstance(stream, wrapper):
                # PERF: hand the server's own file wrapper back untouched (sendfile).
                _set_default_type(headers)
                start_response(status_line(status), resp.header_list())
                return stream
            return _start_stream(req, resp, iter(stream), stream, start_response, unexpected)
    body = resp._body
    items = headers._items  # PERF: lower-cased keys, read directly
    if status in STATUSES_WITHOUT_BODY:
        body = b""
        if status == 204 or status == 304:
            items.pop("content-type", None)
            if status == 204:
                items.pop("content-length", None)
    else:
        if "content-length" not in items and not unknown_length:
            items["content-length"] = [("Content-Length", str(len(body)))]
        if "content-type" not in items:
            items["content-type"] = [("Content-Type", _DEFAULT_TYPE)]
    if head:
        body = b""
    # PERF: header_list() inlined: the lists of lines joined in C, into a new list.
    header_list: list[tuple[str, str]] = reduce(iadd, items.values(), [])
    cookies = resp.cookies
    if cookies:
        # PERF: a loop, not extend() over a generator: most responses set one cookie.
        for cookie in cookies.values():
            header_list.append(("Set-Cookie", cookie.header_value()))
    start_response(_known_status_line(status) or status_line(status), header_list)
    if req.plan.on_end_request:
        return ResponseBody(body, iter(()), None, req, resp)
    return [body]


def _set_default_type(headers: ResponseHeaders) -> None:
    if "content-type" not in headers._items:
        headers._items["content-type"] = [("Content-Type", _DEFAULT_TYPE)]


def _start_stream(
    req: Request,
    resp: Response,
    iterator: Iterator[Any],
    stream: Any,
    start_response: Callable[..., Any],
    unexpected: Unexpected,
) -> Iterable[bytes]:
    # Pull the first chunk before the headers go out, so that an error raised
    # at the start of a generator still becomes a proper error response.
    try:
        first = _to_bytes(next(iterator, b""), req)
    except (HTTPError, HTTPRedirect, Exception) as exc:
        _close(stream)
        resp.stream = None
        if isinstance(exc, HTTPError):
            apply_http_error(req, resp, exc)
        elif isinstance(exc, HTTPRedirect):
            apply_redirect(req, resp, exc)
        else:
            unexpected(req, resp, exc)
        return finish(req, resp, req.environ, start_response, unexpected)
    _set_default_type(resp.headers)
    start_response(status_line(resp._status), resp.header_list())
    return ResponseBody(first, iterator, stream, req, resp)


def _to_bytes(chunk: Any, req: Request) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(
        f"the body of handler {_handler_name(req)} has a {type(chunk).__name__} chunk; "
        f"{_RETURNS}, or tools.flatten for nested iterables"
    )


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            _log.exception("closing the response stream failed")


class ResponseBody:
    """The iterable handed to the server when hooks must run after the body is sent.

    It re-binds ``pegboard.request``/``response`` while iterating, logs an
    error that happens after the headers went out (the client sees a
    truncated response, the log says why), and runs ``on_end_request``
    exactly once from ``close()``.
    """

    __slots__ = ("_closed", "_first", "_iterator", "_req", "_resp", "_stream")

    def __init__(
        self,
        first: bytes | None,
        iterator: Iterator[Any],
        stream: Any,
        req: Request,
        resp: Response,
    ) -> None:
        self._first = first
        self._iterator = iterator
        self._stream = stream
        self._req = req
        self._resp = resp
        self._closed = False

    def __iter__(self) -> ResponseBody:
        return self

    def __next__(self) -> bytes:
        _set_current((self._req, self._resp))
        first = self._first
        if first is not None:
            self._first = None
            return first
        try:
            return _to_bytes(next(self._iterator), self._req)
        except StopIteration:
            raise
        except Exception:
            _log.exception(
                "the response body of %s %s failed after the headers were sent; "
                "the client received a truncated response",
                self._req.method,
                self._req.path,
            )
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _set_current((self._req, self._resp))
        if self._stream is not None:
            _close(self._stream)
        plan = self._req.plan
        if plan.on_end_request:
            try:
                run_hooks(
                    plan.on_end_request, plan.failsafe("on_end_request"), self._req, self._resp
                )
            except Exception:
                _log.exception(
                    "on_end_request hook failed for %s %s", self._req.method, self._req.path
                )
        _set_current(None)
