"""The handler that runs a foreign WSGI app inside pegboard's request lifecycle.

``pegboard.wrap(app)`` and ``App.mount(prefix, app, tools=True)`` route to it.

The foreign app (Flask, Django, Falcon, any PEP 3333 callable) becomes the
handler of a catch-all route, so everything a pegboard handler gets, it gets:
the compiled plan of the config section of each path, every hookpoint in
order, quick answers, ``pegboard serve`` and ``pegboard routes``. A tool that
answers before the handler (a 401, a cache hit, a static file, a 304) means
the foreign app is not called at all.

What the foreign app sends back becomes the response the later hooks work
on: its status and headers (``start_response``, ``exc_info`` and ``write()``
included) go to ``resp.status`` and ``resp.headers``; its body iterable to
``resp.stream`` with its ``close()`` kept, so ``before_finalize`` tools
(gzip, etags, the cache's store, the session's save) transform it and
``on_end_request`` runs once the server has sent it.

The environ the foreign app gets is a copy of the request's, with
``pegboard.request``, ``pegboard.response`` and ``pegboard.app``, one
``pegboard.<name>`` per attribute a tool hung on the request
(``pegboard.session``, ``pegboard.json``, ``pegboard.request_id``),
``REMOTE_USER`` from ``req.login``, ``REMOTE_ADDR`` from ``req.remote``, and
the whole request body in ``wsgi.input`` even when a tool read it first. An
``HTTPError`` that escapes the app, or that its framework hands back under
``pegboard.http_error``, becomes pegboard's error response as in a handler.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import parse_status
from .headers import ResponseHeaders
from .routing import Route

if TYPE_CHECKING:
    from types import TracebackType

    from .app import App
    from .request import Request
    from .response import Response

__all__ = [
    "ENVIRON_APP",
    "ENVIRON_HTTP_ERROR",
    "ENVIRON_REQUEST",
    "ENVIRON_RESPONSE",
    "WSGIHandler",
    "route_to_wsgi_app",
]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, "TracebackType | None"]

#: The environ keys every wrapped app finds (see docs/any-app.md for the tools' own).
ENVIRON_REQUEST = "pegboard.request"
ENVIRON_RESPONSE = "pegboard.response"
ENVIRON_APP = "pegboard.app"
#: An HTTPError or HTTPRedirect put here by the app's framework (pegboard.integrations)
#: is answered by pegboard, as one raised in a handler is; the app's own response is dropped.
ENVIRON_HTTP_ERROR = "pegboard.http_error"

#: A declared body up to this size is read in the handler and handed on as bytes.
_WHOLE_BODY_LIMIT = 64 * 1024

#: PERF: the status lines apps send, parsed once each (bounded: an app may invent reasons).
_STATUS_CODES: dict[str, int] = {}
_STATUS_CACHE_SIZE = 256

# PERF: servers mark every input terminated; these methods' chunked bodies are left alone.
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_check_header = ResponseHeaders._check
_new_start_response = object.__new__


def route_to_wsgi_app(app: App, wsgi_app: WSGIApp, prefix: str) -> WSGIHandler:
    """Add the catch-all route that hands ``prefix`` and below to ``wsgi_app`` (``mount``)."""
    if not callable(wsgi_app):
        raise TypeError(f"{wsgi_app!r} is not a WSGI application (a callable)")
    if "{" in prefix or "}" in prefix:
        raise ValueError(f"a mount prefix is a plain path, not a template: {prefix!r}")
    router = app.router
    # The template is for show and for config sections: the router matches a fallback by prefix.
    template = f"{prefix}/{{wsgi_path:path}}"
    handler = WSGIHandler(wsgi_app, prefix)
    route = Route(template, handler, None, {}, router.converters, fallback=True)
    # PERF: the core calls the bound method: an instance is called through its type's
    # __call__ slot, with a tuple of arguments made for it.
    route.any_method = handler.answer
    app._add_route(route)
    return handler


class WSGIHandler:
    """The handler of a wrapped app's catch-all route: calls the WSGI app, fills the response."""

    def __init__(self, wsgi_app: WSGIApp, prefix: str = "") -> None:
        self.wsgi_app = wsgi_app
        #: where the app is mounted ("" for pegboard.wrap)
        self.prefix = prefix
        # PEP 3333 strings: the prefix as the server would have put it in PATH_INFO.
        self._raw_prefix = prefix.encode("utf-8").decode("latin-1")

    @property
    def name(self) -> str:
        """The wrapped app, as ``module.qualname`` (for ``pegboard routes``)."""
        target = self.wsgi_app
        name = getattr(target, "__qualname__", None) or type(target).__qualname__
        module = getattr(target, "__module__", None) or type(target).__module__
        return f"{module}.{name}"

    def __repr__(self) -> str:
        return f"<WSGIHandler {self.prefix or '/'} -> {self.name}>"

    def __call__(self, req: Request, resp: Response, **params: Any) -> None:
        """Answer ``req`` with the wrapped app (a route's handler; ``params`` are not used)."""
        self.answer(req, resp)

    def answer(self, req: Request, resp: Response) -> None:
        """Call the wrapped app with the request's environ and put its answer on ``resp``.

        PERF: the route calls this bound method: no keyword dict per request, and
        the environ is built here rather than in a call of its own.
        """
        # One shallow copy: the app may change its environ, the tools keep theirs.
        environ = dict(req.environ)
        if self._raw_prefix:
            self._shift_path(environ)
        extras = req.__dict__
        if extras:
            # What tools hang on the request for handlers (req.session, req.json, ...).
            for name in extras:
                key = _ENVIRON_KEYS.get(name)
                if key is None:
                    key = _environ_key(name)
                if key:
                    environ[key] = extras[name]
        environ[ENVIRON_REQUEST] = req
        environ[ENVIRON_RESPONSE] = resp
        environ[ENVIRON_APP] = req.app
        # The rest is for few requests (a login, a client behind a proxy, a body): one test.
        if (
            req.login is not None
            or req._remote is not None
            or req._body is not None
            or req.method not in _NO_BODY_METHODS
        ):
            _hand_over_the_rest(req, environ)
        # PERF: the start_response object without an __init__ frame; headers come with
        # the status.
        start = _new_start_response(_StartResponse)
        start.status = start.written = None
        start.done = False
        result = self.wsgi_app(environ, start.__call__)
        status = start.status
        items = resp.headers._items  # PERF: lower-cased keys, written directly
        if (
            type(result) is list
            and len(result) == 1
            and type(result[0]) is bytes
            and status is not None
            and start.written is None
            and not items
            and resp.stream is None
            and ENVIRON_HTTP_ERROR not in environ
        ):
            # PERF: what most apps answer: start_response called before returning, and
            # one chunk of bytes in a list, with no tool header to merge with: the status,
            # headers and body taken over in one pass (_respond does it in general).
            start.done = True
            resp._status = _STATUS_CODES.get(status) or _status_code(status)
            for name, value in start.headers:
                key = name.lower()
                if key == "content-length" and req.method != "HEAD":
                    continue  # the core counts the bytes it sends
                found = items.get(key)
                if found is None:
                    items[key] = [(name, _check_header(name, value))]
                else:
                    found.append((name, _check_header(name, value)))
            resp._body = result[0]
            return
        _take_answer(self, req, resp, environ, start, result)

    def _shift_path(self, env: dict[str, Any]) -> None:
        """SCRIPT_NAME and PATH_INFO as the app mounted at the prefix expects them."""
        raw = self._raw_prefix
        env["SCRIPT_NAME"] = env.get("SCRIPT_NAME", "") + raw
        env["PATH_INFO"] = env.get("PATH_INFO", "")[len(raw) :]


def _take_answer(
    handler: WSGIHandler,
    req: Request,
    resp: Response,
    environ: dict[str, Any],
    start: _StartResponse,
    result: Iterable[bytes],
) -> None:
    """Put any answer of the app on ``resp``: a generator, ``write()``, an error handed back.

    Kept out of :meth:`WSGIHandler.answer` so that the common answer's code stays small.
    """
    try:
        chunks: list[bytes] = []
        iterator: Iterator[bytes] | None = None
        if start.status is None:
            # A generator app calls start_response when it is first iterated.
            iterator = iter(result)
            for chunk in iterator:
                chunks.append(chunk)
                if start.status is not None:
                    break
            if start.status is None:
                raise RuntimeError(
                    f"the WSGI app {handler.name} returned without calling start_response"
                )
        error = environ.get(ENVIRON_HTTP_ERROR)
        if isinstance(error, Exception):
            raise error
        if start.written:
            chunks[:0] = start.written
        _respond(req, resp, start, result, iterator, chunks)
    except BaseException:
        _close(result)
        raise
    finally:
        start.done = True


def _hand_over_the_rest(req: Request, env: dict[str, Any]) -> None:
    """The authenticated user, the client a proxy tool found, and the request body."""
    login = req.login
    if login is not None:
        env["REMOTE_USER"] = login  # the WSGI (CGI) name of the authenticated user
    remote = req._remote
    if remote is not None and remote.ip != env.get("REMOTE_ADDR"):
        env["REMOTE_ADDR"] = remote.ip  # a proxy tool found the client behind the proxy
        if remote.port is not None:
            env["REMOTE_PORT"] = str(remote.port)
    body = req._body
    if body is not None and body.started:
        _hand_on(env, body.bytes)  # a tool read it; replayable, so .bytes is all of it
    elif (
        req.method not in _NO_BODY_METHODS
        and env.get("wsgi.input_terminated")
        and not env.get("CONTENT_LENGTH")
    ):
        # A body of unknown length (chunked): read it within request.max_body_size
        # (413 past it), so that apps that need a Content-Length (Django) see one.
        _hand_on(env, req.body.bytes)


#: PERF: attribute name -> environ key ("" for private names), built as names are met.
_ENVIRON_KEYS: dict[str, str] = {}


def _environ_key(name: str) -> str:
    key = "" if name.startswith("_") else "pegboard." + name
    if len(_ENVIRON_KEYS) < 1024:  # tools' attribute names: a handful
        _ENVIRON_KEYS[name] = key
    return key


def _hand_on(env: dict[str, Any], data: bytes) -> None:
    env["wsgi.input"] = io.BytesIO(data)
    env["CONTENT_LENGTH"] = str(len(data))
    env.pop("wsgi.input_terminated", None)


class _StartResponse:
    """``start_response`` (and its ``write``) for one call of a wrapped app."""

    __slots__ = ("done", "headers", "status", "written")

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.written: list[bytes] | None = None
        #: the handler has returned: the status may have been sent, write() is over
        self.done = False

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.done:
                    # PEP 3333: the headers may have gone out; re-raise the app's error.
                    raise exc_info[1].with_traceback(exc_info[2])
                self.written = None  # an error page replaces what was written so far
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise AssertionError("start_response was called twice without exc_info (PEP 3333)")
        if type(status) is not str:
            raise TypeError(f"the WSGI status must be a str such as '200 OK', not {status!r}")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: the data goes before the returned iterable's."""
        if self.status is None:
            raise AssertionError("write() was called before start_response (PEP 3333)")
        if self.done:
            raise RuntimeError("write() was called after the WSGI app returned; yield the data")
        if self.written is None:
            self.written = []
        self.written.append(data)


def _respond(
    req: Request,
    resp: Response,
    start: _StartResponse,
    result: Iterable[bytes],
    iterator: Iterator[bytes] | None,
    chunks: list[bytes],
) -> None:
    """Put the app's status, headers and body on ``resp``."""
    status = start.status
    assert status is not None
    code = _STATUS_CODES.get(status)
    if code is None:
        code = _status_code(status)
    resp._status = code
    items = resp.headers._items  # PERF: lower-cased keys, written directly
    if items:
        _merge(resp.headers, start.headers)
    else:
        # PERF: no tool set a header before the app (the common case): take them as they are.
        check = ResponseHeaders._check
        for name, value in start.headers:
            key = name.lower()
            found = items.get(key)
            if found is None:
                items[key] = [(name, check(name, value))]
            else:
                found.append((name, check(name, value)))
    length = items.get("content-length")
    if iterator is None and not chunks and type(result) is list and len(result) == 1:
        whole: bytes | None = result[0]  # PERF: the one-chunk list of most WSGI apps
        if type(whole) is not bytes:
            whole = _whole_body(result, iterator, chunks, None)
    else:
        whole = _whole_body(result, iterator, chunks, length[0][1] if length else None)
    if whole is not None:
        if length and req.method != "HEAD":
            del items["content-length"]  # the core counts the bytes it sends
        if resp.stream is None:
            resp._body = whole  # PERF: bytes: what set_body does, without its checks
        else:
            resp.set_body(whole)  # closes a stream a tool had set
    elif iterator is None and not chunks:
        resp.set_body(result)  # the app's own iterable: a file wrapper stays one (sendfile)
    else:
        resp.set_body(_Body(chunks, iterator if iterator is not None else iter(result), result))


def _status_code(status: str) -> int:
    """The code of a status line the app sent (ValueError if it is not one), cached."""
    code = parse_status(status)
    if len(_STATUS_CODES) < _STATUS_CACHE_SIZE:
        _STATUS_CODES[status] = code
    return code


def _merge(headers: ResponseHeaders, lines: list[tuple[str, str]]) -> None:
    """The app's headers over those tools set before it, as a handler's would be.

    A name the app sends replaces the tool's value; ``Vary`` is merged (the
    sessions or gzip tool may already vary) and ``Set-Cookie`` lines are added
    beside the cookies tools set.
    """
    items = headers._items
    check = ResponseHeaders._check
    fresh: dict[str, list[tuple[str, str]]] = {}
    for name, value in lines:
        key = name.lower()
        if key == "vary":
            headers.add_vary(*(part.strip() for part in value.split(",") if part.strip()))
        elif key == "set-cookie":
            items.setdefault(key, []).append((name, check(name, value)))
        else:
            fresh.setdefault(key, []).append((name, check(name, value)))
    items.update(fresh)


def _whole_body(
    result: Iterable[bytes],
    iterator: Iterator[bytes] | None,
    chunks: list[bytes],
    declared: str | None,
) -> bytes | None:
    """The body as bytes when it is small and already known; None to stream it.

    PERF: a body that is a list (Falcon, plain WSGI apps) or that declares a
    small Content-Length (Flask, Django) is read here, so the tools and the
    core work on bytes (one compression call, no chunked framing) rather than
    on a stream; the app's iterable is closed at once, as a server closes it
    once it has read it. Longer, unknown-length and file bodies stream.
    """
    if iterator is None and type(result) is list:
        if not chunks and len(result) == 1 and type(result[0]) is bytes:
            return result[0]
        return b"".join([*chunks, *result])
    if declared is None or not declared.isdigit() or int(declared) > _WHOLE_BODY_LIMIT:
        return None
    rest = b"".join(iterator if iterator is not None else result)
    _close(result)  # on an error, the handler closes it
    return b"".join(chunks) + rest if chunks else rest


class _Body:
    """A wrapped app's body as ``resp.stream``: early chunks first, then the rest.

    ``close()`` closes the app's own iterable, as PEP 3333 asks.
    """

    __slots__ = ("_app_iterable", "_early", "_later_chunks")

    def __init__(self, chunks: list[bytes], iterator: Iterator[bytes], result: Any) -> None:
        self._early = chunks
        self._later_chunks = iterator
        self._app_iterable = result

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        if self._early:
            return self._early.pop(0)
        return next(self._later_chunks)

    def close(self) -> None:
        _close(self._app_iterable)


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()
